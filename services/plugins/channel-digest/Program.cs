using Chat.Plugins.ChannelDigest;
using Chat.Plugins.Sdk;

return await Plugin.RunAsync(new ChannelDigestPlugin());
