namespace Chat.Jobs.Export;

/// <summary>The message export's CSV: RFC 4180, and safe to open in a spreadsheet.</summary>
public static class Csv
{
    /// <summary>
    /// Characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list). A message such as
    /// <c>=HYPERLINK(...)</c> would otherwise run in the compliance officer's spreadsheet; such a field gets a leading
    /// apostrophe, which spreadsheets show as text and do not display.
    /// </summary>
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    /// <summary>One record: fields with commas, quotes or line breaks quoted, quotes doubled; CRLF line end.</summary>
    public static string Line(IEnumerable<string> fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    private static string Field(string value)
    {
        var text = value.Length > 0 && FormulaStarts.Contains(value[0]) ? "'" + value : value;
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
