using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mmse.Cli;

internal static class JsonOutput
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Writes a JSON document atomically (a temp file renamed into place), so a failure at any
    /// point leaves an earlier file of that name as it was.
    /// </summary>
    public static void Write(string path, object document)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document, Options);
        using var file = new Internals.AtomicFile(path);
        file.Stream.Write(bytes);
        file.Stream.WriteByte((byte)'\n');
        file.Commit();
    }
}
