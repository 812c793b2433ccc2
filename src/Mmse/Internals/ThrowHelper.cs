using System.Diagnostics.CodeAnalysis;

namespace Mmse.Internals;

/// <summary>One place for precise error messages, so hot paths stay small.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Data(string file, long line, string? field, string problem) =>
        throw new MmseDataException(file, line, field, problem);

    [DoesNotReturn]
    public static void Artifact(string file, string problem) =>
        throw new MmseArtifactException(file, problem);

    [DoesNotReturn]
    public static void Input(string message) => throw new MmseInputException(message);

    [DoesNotReturn]
    public static void DimensionMismatch(string name, int actual, int expected) =>
        throw new ArgumentException($"'{name}':{actual} must equal the model's {expected}");
}
