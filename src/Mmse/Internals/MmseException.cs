namespace Mmse;

/// <summary>
/// A problem with the user's input or arguments (bad record, corrupt artifact, bad flag).
/// The CLI prints <see cref="Exception.Message"/> without a stack trace and exits with code 2.
/// </summary>
public class MmseInputException : Exception
{
    /// <summary>An input error with the message the user sees.</summary>
    public MmseInputException(string message) : base(message) { }

    /// <summary>An input error caused by <paramref name="inner"/>.</summary>
    public MmseInputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>An input error without a message (for serializers; prefer a message).</summary>
    public MmseInputException() { }
}

/// <summary>A bad record in a data file: names the file, the 1-based line and the field.</summary>
public sealed class MmseDataException : MmseInputException
{
    /// <summary>A bad record: the message is <see cref="Format"/> of the parts, which stay readable one by one.</summary>
    public MmseDataException(string file, long line, string? field, string problem)
        : base(Format(file, line, field, problem))
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>A bad record without details (for serializers; prefer the detailed form).</summary>
    public MmseDataException() { File = ""; Problem = ""; }

    /// <summary>A bad record described by <paramref name="message"/> alone.</summary>
    public MmseDataException(string message) : base(message) { File = ""; Problem = message; }

    /// <summary>A bad record described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public MmseDataException(string message, Exception inner) : base(message, inner) { File = ""; Problem = message; }

    /// <summary>The file the record is in.</summary>
    public string File { get; }

    /// <summary>1-based line number; 0 when the problem is about the whole file.</summary>
    public long Line { get; }

    /// <summary>The field at fault, or null when the problem is the whole record.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the place.</summary>
    public string Problem { get; }

    /// <summary>"file:line: field 'f': problem", leaving out the line when 0 and the field when null.</summary>
    public static string Format(string file, long line, string? field, string problem)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        return field is null ? $"{where}: {problem}" : $"{where}: field '{field}': {problem}";
    }
}

/// <summary>A corrupt, truncated or foreign artifact file (model, index, vectors).</summary>
public sealed class MmseArtifactException : MmseInputException
{
    /// <summary>"file: problem".</summary>
    public MmseArtifactException(string file, string problem) : base($"{file}: {problem}") { }

    /// <summary>An artifact error without a message (for serializers; prefer a message).</summary>
    public MmseArtifactException() { }

    /// <summary>An artifact error with the message the user sees.</summary>
    public MmseArtifactException(string message) : base(message) { }

    /// <summary>An artifact error caused by <paramref name="inner"/>.</summary>
    public MmseArtifactException(string message, Exception inner) : base(message, inner) { }
}
