using System.Diagnostics.CodeAnalysis;

namespace Mmse.Internals;

/// <summary>
/// The one place every user-facing error is raised, so messages stay precise and uniform and
/// hot paths stay small. The generic forms return their type argument so a call can stand
/// in an expression (<c>x ?? ThrowHelper.Input&lt;int&gt;("...")</c>).
/// </summary>
public static class ThrowHelper
{
    /// <summary>A bad record: names the file, the 1-based line (0 = the whole file) and the field.</summary>
    [DoesNotReturn]
    public static void Data(string file, long line, string? field, string problem) =>
        throw new MmseDataException(file, line, field, problem);

    /// <inheritdoc cref="Data(string, long, string?, string)"/>
    [DoesNotReturn]
    public static T Data<T>(string file, long line, string? field, string problem) =>
        throw new MmseDataException(file, line, field, problem);

    /// <summary>A corrupt, truncated, foreign or mismatched artifact file.</summary>
    [DoesNotReturn]
    public static void Artifact(string file, string problem) =>
        throw new MmseArtifactException(file, problem);

    /// <inheritdoc cref="Artifact(string, string)"/>
    [DoesNotReturn]
    public static T Artifact<T>(string file, string problem) =>
        throw new MmseArtifactException(file, problem);

    /// <summary>A bad argument, option value or combination of inputs given by the user.</summary>
    [DoesNotReturn]
    public static void Input(string message) => throw new MmseInputException(message);

    /// <inheritdoc cref="Input(string)"/>
    [DoesNotReturn]
    public static T Input<T>(string message) => throw new MmseInputException(message);

    /// <summary>A caller's buffer or vector of the wrong size (a programming error, not user input).</summary>
    [DoesNotReturn]
    public static void DimensionMismatch(string name, int actual, int expected) =>
        throw new ArgumentException($"'{name}':{actual} must equal the model's {expected}");

    /// <summary>
    /// Refuses an input file that is not there with the message every reader gives:
    /// "<c>{path}: {what} not found</c>" (<paramref name="what"/> is "file" unless the kind of
    /// file helps the user, such as "segments file"); a folder in its place is "is a folder".
    /// </summary>
    public static void IfFileMissing(string path, string what = "file")
    {
        if (Directory.Exists(path))
            Input($"{path}: is a folder, not a {what}");
        if (!File.Exists(path))
            Input($"{path}: {what} not found");
    }

    /// <summary>A user input error that wraps the exception that revealed it (its message is usually part of <paramref name="message"/>).</summary>
    [DoesNotReturn]
    public static void Input(string message, Exception inner) => throw new MmseInputException(message, inner);

    /// <inheritdoc cref="Input(string, Exception)"/>
    [DoesNotReturn]
    public static T Input<T>(string message, Exception inner) => throw new MmseInputException(message, inner);

    /// <summary>
    /// A bad search request field, answered as a 400 naming it: "<c>'{parameter}': {problem}</c>"
    /// (<see cref="Retrieval.SearchInputException"/>).
    /// </summary>
    [DoesNotReturn]
    public static void SearchInput(string parameter, string problem) =>
        throw new Retrieval.SearchInputException(parameter, problem);

    /// <inheritdoc cref="SearchInput(string, string)"/>
    [DoesNotReturn]
    public static T SearchInput<T>(string parameter, string problem) =>
        throw new Retrieval.SearchInputException(parameter, problem);
}
