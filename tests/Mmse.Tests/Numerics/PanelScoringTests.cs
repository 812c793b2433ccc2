using Mmse.Numerics;

namespace Mmse.Tests.Numerics;

public unsafe class PanelScoringTests
{
    [Fact]
    public void Fast_tile_equals_the_reference_bit_for_bit_at_every_length()
    {
        var rng = new Rng(5);
        var fast = PanelScoring.Of<FastPath>();
        Assert.Equal(ScoringKernel.Scalar, PanelScoring.Of<ReferencePath>());
        for (var d = 0; d <= 256; d++)
        {
            var a = new float[PanelScoring.TileRows * d]; // [12, d]
            var b = new float[d * PanelScoring.Panel];    // [d, 32]
            for (var i = 0; i < a.Length; i++) a[i] = (float)rng.NextGaussian();
            for (var i = 0; i < b.Length; i++) b[i] = (float)rng.NextGaussian();
            var zFast = new float[PanelScoring.TileRows * PanelScoring.Panel];
            var zRef = new float[zFast.Length];
            fixed (float* pa = a, pb = b, pf = zFast, pr = zRef)
            {
                PanelScoring.Tile(fast, pa, d, pb, pf);
                PanelScoring.Tile(PanelScoring.Of<ReferencePath>(), pa, d, pb, pr);
            }
            Assert.Equal(zRef, zFast);
        }
    }
}
