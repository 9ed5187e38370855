using Chat.Plugins.Sdk;
using Chat.Plugins.TriggerWord;

return await Plugin.RunAsync(new TriggerWordPlugin());
