using Chat.Configuration;

namespace Chat.UnitTests;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData(":8065", "0.0.0.0", 8065, "http://+:8065")]
    [InlineData("127.0.0.1:8101", "127.0.0.1", 8101, "http://127.0.0.1:8101")]
    [InlineData("localhost:1", "localhost", 1, "http://localhost:1")]
    [InlineData("0.0.0.0:65535", "0.0.0.0", 65535, "http://+:65535")]
    [InlineData("[::1]:8080", "[::1]", 8080, "http://[::1]:8080")]
    public void Parses_mattermost_style_addresses(string value, string host, int port, string url)
    {
        Assert.True(ListenAddress.TryParse(value, out var address));
        Assert.Equal(new ListenAddress(host, port), address);
        Assert.Equal(url, address.ToUrl());
    }

    [Theory]
    [InlineData("")]
    [InlineData("8065")]
    [InlineData("localhost")]
    [InlineData(":0")]
    [InlineData(":65536")]
    [InlineData(":-1")]
    [InlineData(":+80")]
    [InlineData(": 80")]
    [InlineData(":80 ")]
    [InlineData(":abc")]
    [InlineData("host:")]
    [InlineData(":99999999999")]
    public void Refuses_anything_else(string value) => Assert.False(ListenAddress.TryParse(value, out _));
}
