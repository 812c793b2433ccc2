namespace Mmse.Training;

/// <summary>A growable array that keeps its storage across steps (no allocation once warm).</summary>
public sealed class Buffer<T>
{
    public T[] Array = new T[16];
    public int Count;

    public void AddRange(ReadOnlySpan<T> values)
    {
        while (Count + values.Length > Array.Length)
            System.Array.Resize(ref Array, Array.Length * 2);
        values.CopyTo(Array.AsSpan(Count));
        Count += values.Length;
    }

    public void Add(T value)
    {
        if (Count == Array.Length)
            System.Array.Resize(ref Array, Array.Length * 2);
        Array[Count++] = value;
    }

    public void Clear() => Count = 0;

    public Span<T> Span => Array.AsSpan(0, Count);

    public T this[int i] => Array[i];
}

/// <summary>
/// One minibatch in the form the engine consumes: the requests' query tokens, the distinct items
/// it touches (slots), and per request its positives, ranking list and extra negatives, all as CSR.
/// </summary>
public sealed class TrainingBatch
{
    private int[] _slotOfItem = [];

    public int Count { get; private set; }

    /// <summary>[Count + 1], into QueryTokens.</summary>
    public Buffer<int> QueryOffsets { get; } = new();
    public Buffer<int> QueryTokens { get; } = new();

    /// <summary>[Count, D]: each request's query backbone vector (models with a backbone only).</summary>
    public Buffer<float> QueryBackbone { get; } = new();

    /// <summary>slot -> catalog item.</summary>
    public Buffer<int> Items { get; } = new();

    /// <summary>slot -> log q (logQ correction), per slot.</summary>
    public Buffer<float> LogQ { get; } = new();

    /// <summary>slot -> is an in-batch positive or a random item (a softmax candidate).</summary>
    public Buffer<bool> IsCandidate { get; } = new();

    /// <summary>[Count + 1], into PositiveSlots / PositiveWeights.</summary>
    public Buffer<int> PositiveOffsets { get; } = new();
    public Buffer<int> PositiveSlots { get; } = new();
    public Buffer<float> PositiveWeights { get; } = new();

    /// <summary>How many of PositiveSlots are weak positives (unclicked items, <see cref="TrainOptions.WeightUnclicked"/>): they do not dilute the others' share of the loss.</summary>
    public int WeakPositives { get; set; }

    /// <summary>[Count + 1], into ListSlots / ListLevels (the ranking list: O, C, U, R).</summary>
    public Buffer<int> ListOffsets { get; } = new();
    public Buffer<int> ListSlots { get; } = new();
    public Buffer<float> ListLevels { get; } = new();

    /// <summary>[Count + 1], into ExtraSlots: the request's own unclicked items as softmax negatives (ablation).</summary>
    public Buffer<int> ExtraOffsets { get; } = new();
    public Buffer<int> ExtraSlots { get; } = new();

    /// <summary>Random catalog items shared by the batch (slots).</summary>
    public Buffer<int> RandomSlots { get; } = new();

    public int Slots => Items.Count;

    public void Clear(int catalogSize)
    {
        if (_slotOfItem.Length != catalogSize)
        {
            _slotOfItem = new int[catalogSize];
            System.Array.Fill(_slotOfItem, -1);
        }
        foreach (var item in Items.Span)
            _slotOfItem[item] = -1;
        Count = 0;
        Items.Clear();
        LogQ.Clear();
        IsCandidate.Clear();
        QueryOffsets.Clear();
        QueryTokens.Clear();
        QueryBackbone.Clear();
        PositiveOffsets.Clear();
        PositiveSlots.Clear();
        PositiveWeights.Clear();
        WeakPositives = 0;
        ListOffsets.Clear();
        ListSlots.Clear();
        ListLevels.Clear();
        ExtraOffsets.Clear();
        ExtraSlots.Clear();
        RandomSlots.Clear();
        QueryOffsets.Add(0);
        PositiveOffsets.Add(0);
        ListOffsets.Add(0);
        ExtraOffsets.Add(0);
    }

    /// <summary>The slot of a catalog item, added on first use.</summary>
    public int Slot(int item)
    {
        var slot = _slotOfItem[item];
        if (slot >= 0)
            return slot;
        slot = Items.Count;
        _slotOfItem[item] = slot;
        Items.Add(item);
        LogQ.Add(0);
        IsCandidate.Add(false);
        return slot;
    }

    public void MarkCandidate(int slot, float logQ)
    {
        IsCandidate.Array[slot] = true;
        LogQ.Array[slot] = logQ;
    }

    /// <summary>Closes the current request (after its tokens, positives, list and extras were added).</summary>
    public void EndRequest()
    {
        Count++;
        QueryOffsets.Add(QueryTokens.Count);
        PositiveOffsets.Add(PositiveSlots.Count);
        ListOffsets.Add(ListSlots.Count);
        ExtraOffsets.Add(ExtraSlots.Count);
    }
}
