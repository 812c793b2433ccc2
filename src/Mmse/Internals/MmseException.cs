namespace Mmse;

/// <summary>
/// A problem with the user's input or arguments (bad record, corrupt artifact, bad flag).
/// The CLI prints <see cref="Exception.Message"/> without a stack trace and exits with code 2.
/// </summary>
public class MmseInputException : Exception
{
    public MmseInputException(string message) : base(message) { }

    public MmseInputException(string message, Exception inner) : base(message, inner) { }

    public MmseInputException() { }
}

/// <summary>A bad record in a data file: names the file, the 1-based line and the field.</summary>
public sealed class MmseDataException : MmseInputException
{
    public MmseDataException(string file, long line, string? field, string problem)
        : base(Format(file, line, field, problem))
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
    }

    public MmseDataException() { File = ""; Problem = ""; }

    public MmseDataException(string message) : base(message) { File = ""; Problem = message; }

    public MmseDataException(string message, Exception inner) : base(message, inner) { File = ""; Problem = message; }

    public string File { get; }

    /// <summary>1-based line number; 0 when the problem is about the whole file.</summary>
    public long Line { get; }

    public string? Field { get; }

    public string Problem { get; }

    public static string Format(string file, long line, string? field, string problem)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        return field is null ? $"{where}: {problem}" : $"{where}: field '{field}': {problem}";
    }
}

/// <summary>A corrupt, truncated or foreign artifact file (model, index, vectors).</summary>
public sealed class MmseArtifactException : MmseInputException
{
    public MmseArtifactException(string file, string problem) : base($"{file}: {problem}") { }

    public MmseArtifactException() { }

    public MmseArtifactException(string message) : base(message) { }

    public MmseArtifactException(string message, Exception inner) : base(message, inner) { }
}
