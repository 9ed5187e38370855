using System.Text.Json;
using System.Text.Json.Serialization;

namespace Chat.ServiceDefaults;

/// <summary>
/// PostgreSQL text cannot hold U+0000, and a statement that fails on it mid-protocol can leave a pooled connection
/// unusable. No Mattermost field has a use for it, so request bodies carrying it are refused as malformed (400)
/// before they reach a store.
/// </summary>
internal static class NulFreeJson
{
    public static void AddTo(IList<JsonConverter> converters)
    {
        converters.Add(new StringConverter());
        converters.Add(new ElementConverter());
    }

    private static string Check(string? value) =>
        value is not null && value.Contains('\0', StringComparison.Ordinal)
            ? throw new JsonException("Text must not contain the NUL character.")
            : value!;

    private sealed class StringConverter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String
                ? Check(reader.GetString())
                : throw new JsonException($"Expected a string, not {reader.TokenType}.");

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Check(reader.GetString());

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
    }

    /// <summary>Free-form JSON (post props) is checked all the way down.</summary>
    private sealed class ElementConverter : JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            Walk(document.RootElement);
            return document.RootElement.Clone();
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

        private static void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    Check(element.GetString());
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item);
                    }
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Check(property.Name);
                        Walk(property.Value);
                    }
                    break;
            }
        }
    }
}
