using Mmse.Cli;

namespace Mmse.Tests;

/// <summary>A temporary folder per test, removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mmse-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes lines (joined with '\n') and returns the path.</summary>
    public string Write(string name, params string[] lines)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Runs the CLI in-process and captures what it printed.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new CliContext(output, error, ProgressReporter.Silent));
        return new Result(code, output.ToString(), error.ToString());
    }
}
