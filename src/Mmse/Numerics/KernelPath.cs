namespace Mmse.Numerics;

/// <summary>
/// Selects a kernel's implementation at compile time: a struct type parameter
/// (<c>where TPath : struct, IKernelPath</c>) whose <see cref="IsReference"/> is a JIT-time constant,
/// so the branch between the plain reference and the fast path costs nothing and no
/// <c>bool reference</c> is threaded through signatures.
/// </summary>
public interface IKernelPath
{
    /// <summary>True for the plain scalar reference that every fast path is tested against.</summary>
    static abstract bool IsReference { get; }
}

/// <summary>The vectorised, blocked, parallel implementation (what production runs).</summary>
public readonly struct FastPath : IKernelPath
{
    /// <inheritdoc/>
    public static bool IsReference => false;
}

/// <summary>The plain scalar implementation, kept beside every fast path as its specification.</summary>
public readonly struct ReferencePath : IKernelPath
{
    /// <inheritdoc/>
    public static bool IsReference => true;
}
