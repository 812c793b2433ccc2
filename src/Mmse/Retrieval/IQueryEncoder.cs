namespace Mmse.Retrieval;

/// <summary>
/// Turns query text into K head vectors (DESIGN §4). The serving side needs nothing else from a
/// model, so an adapter over the trained model is a few lines.
/// </summary>
public interface IQueryEncoder
{
    /// <summary>K, the number of query heads.</summary>
    int Heads { get; }

    /// <summary>d, the length of each head vector (and of an item vector).</summary>
    int Dim { get; }

    /// <summary>The post-fusion temperature beta (DESIGN §4).</summary>
    float Beta { get; }

    /// <summary>A short stable name of the weights, shown by /healthz and /metrics.</summary>
    string Version { get; }

    /// <summary>
    /// Writes the query's heads into <paramref name="destination"/> [Heads, Dim], each head
    /// L2-normalised (a head with no signal may be all zeros). Must be thread-safe.
    /// </summary>
    void EncodeQuery(string text, Span<float> destination);
}
