using Chat.Plugins.Faulty;
using Chat.Plugins.Sdk;

return await Plugin.RunAsync(new FaultyPlugin());
