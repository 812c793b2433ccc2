using System.Buffers;
using Mmse.Internals;
using Mmse.Model;

namespace Mmse.Retrieval;

/// <summary>
/// The trained <see cref="MmseModel"/> as the server's query encoder. A post-fusion model
/// serves its K heads; a pre-fusion model (the ablation) scores with one vector, the
/// normalised mean of its heads, so it serves one head (<see cref="MmseModel.ScoringHeads"/>).
/// The version is computed once here: <see cref="MmseModel.Version"/> checksums every weight.
/// </summary>
public sealed class ModelQueryEncoder : IQueryEncoder
{
    private readonly MmseModel _model;

    public ModelQueryEncoder(MmseModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        Version = model.Version;
    }

    /// <summary>Reads a model written by <c>mmse train</c> (<see cref="MmseModel.Load"/>).</summary>
    public static ModelQueryEncoder Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowHelper.IfFileMissing(path);
        return new ModelQueryEncoder(MmseModel.Load(path));
    }

    public MmseModel Model => _model;

    /// <summary>The heads a query is scored with: the model's K, or 1 for a pre-fusion model.</summary>
    public int Heads => _model.ScoringHeads;

    public int Dim => _model.Dim;

    public float Beta => _model.Beta;

    public string Version { get; }

    /// <summary>Writes the scoring heads [Heads, Dim] of <paramref name="text"/>; thread-safe.</summary>
    public void EncodeQuery(string text, Span<float> destination)
    {
        if (destination.Length < Heads * Dim)
            throw new ArgumentException($"'destination':{destination.Length} must hold Heads*Dim = {Heads * Dim}");
        if (!_model.PreFusion)
        {
            _model.EncodeQuery(text, destination);
            return;
        }
        var length = _model.Heads * _model.Dim;
        var rented = length <= 1024 ? null : ArrayPool<float>.Shared.Rent(length);
        var all = rented is null ? stackalloc float[length] : rented.AsSpan(0, length); // [Heads, Dim]
        try
        {
            _model.EncodeQuery(text, all);
            _model.ScoringQuery(all, destination);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<float>.Shared.Return(rented);
        }
    }
}
