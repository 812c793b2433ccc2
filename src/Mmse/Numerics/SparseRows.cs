namespace Mmse.Numerics;

/// <summary>
/// Gradient rows of a large table, only for the rows a step touched: a slot per touched row,
/// found through a dense row->slot map that is reset row by row (never cleared whole).
/// </summary>
public sealed class SparseRows
{
    private readonly int[] _slotOf; // [rows] slot or -1
    private readonly List<int> _rows = [];
    private float[] _values; // [slots, dim]

    public SparseRows(int rows, int dim)
    {
        Dim = dim;
        _slotOf = new int[rows];
        Array.Fill(_slotOf, -1);
        _values = new float[Math.Max(1, 1024 * dim)];
    }

    public int Dim { get; }

    public int Count => _rows.Count;

    /// <summary>The table row of slot s.</summary>
    public int RowAt(int slot) => _rows[slot];

    public Span<float> Values(int slot) => _values.AsSpan(slot * Dim, Dim);

    /// <summary>The gradient row of a table row, created zeroed on first touch.</summary>
    public Span<float> Row(int row)
    {
        var slot = _slotOf[row];
        if (slot < 0)
        {
            slot = _rows.Count;
            _slotOf[row] = slot;
            _rows.Add(row);
            if ((slot + 1) * Dim > _values.Length)
                Array.Resize(ref _values, _values.Length * 2);
            _values.AsSpan(slot * Dim, Dim).Clear();
        }
        return _values.AsSpan(slot * Dim, Dim);
    }

    public void Clear()
    {
        foreach (var r in _rows)
            _slotOf[r] = -1;
        _rows.Clear();
    }
}
