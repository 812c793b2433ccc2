namespace Mmse.Synthesis;

/// <summary>The outputs of one block of requests, appended to the files in block order.</summary>
internal sealed class RequestBlockOutput
{
    public JsonlBuffer[] Logs { get; } = [new(), new(), new()];
    public JsonlBuffer Truth { get; } = new();
    public JsonlBuffer Intents { get; } = new();
    public SynthCounts[] Counts { get; } = [new(), new(), new()];
    public SynthCounts Dropped { get; private set; } = new();
    public long TruthItems { get; set; }
    public long TruthExact { get; set; }

    public void Clear()
    {
        foreach (var l in Logs) l.Clear();
        Truth.Clear();
        Intents.Clear();
        for (var s = 0; s < 3; s++) Counts[s] = new SynthCounts();
        Dropped = new SynthCounts();
        TruthItems = TruthExact = 0;
    }
}
