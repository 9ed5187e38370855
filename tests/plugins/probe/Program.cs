using Chat.Plugins.Probe;
using Chat.Plugins.Sdk;

return await Plugin.RunAsync(new ProbePlugin());
