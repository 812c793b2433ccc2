namespace Mmse.Synthesis;

/// <summary>Counts over the generated requests (per split) for the manifest.</summary>
public sealed class SynthCounts
{
    public long Requests { get; set; }
    public long Displayed { get; set; }
    public long Clicks { get; set; }
    public long Carts { get; set; }
    public long Orders { get; set; }
    public long RequestsWithOrder { get; set; }
    public long RequestsWithClick { get; set; }

    /// <summary>[4] displayed items per true grade 0..3.</summary>
    public long[] DisplayedByGrade { get; } = new long[4];

    /// <summary>[4] items with a click, cart or order per true grade 0..3.</summary>
    public long[] ActedByGrade { get; } = new long[4];

    internal void Add(SynthCounts other)
    {
        Requests += other.Requests;
        Displayed += other.Displayed;
        Clicks += other.Clicks;
        Carts += other.Carts;
        Orders += other.Orders;
        RequestsWithOrder += other.RequestsWithOrder;
        RequestsWithClick += other.RequestsWithClick;
        for (var g = 0; g < 4; g++)
        {
            DisplayedByGrade[g] += other.DisplayedByGrade[g];
            ActedByGrade[g] += other.ActedByGrade[g];
        }
    }
}
