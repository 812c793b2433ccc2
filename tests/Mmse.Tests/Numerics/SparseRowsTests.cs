using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public class SparseRowsTests
{
    [Fact]
    public void Sparse_rows_reset_only_what_was_touched()
    {
        var rows = new SparseRows(100, 4);
        rows.Row(7)[0] = 1;
        rows.Row(3)[1] = 2;
        Assert.Equal(2, rows.Count);
        Assert.Equal(1, rows.Row(7)[0]);
        rows.Clear();
        Assert.Equal(0, rows.Count);
        Assert.Equal(0, rows.Row(7)[0]);
    }
}
