using Mmse.Data;

namespace Mmse.Cli.Commands;

/// <summary>
/// The README's main command. Until the generator, trainer and experiment runner land it
/// runs what exists: it writes a small built-in marketplace and reports its statistics.
/// </summary>
internal sealed class DemoCommand : Command
{
    public override string Name => "demo";

    public override string Summary => "Run the whole pipeline on built-in synthetic data";

    public override string Help => """
        Usage: mmse demo [--out DIR]

        Writes a small built-in marketplace (catalog and search log) to DIR and runs
        'mmse data stats' on it.

        Options:
          --out DIR   where to write the demo data           (default mmse-demo)

        Example:
          mmse demo --out /tmp/mmse-demo
        """;

    public override int Run(CliArgs args, CliContext context)
    {
        var dir = args.Option("--out") ?? "mmse-demo";
        args.Finish();
        Directory.CreateDirectory(dir);
        var catalogPath = Path.Combine(dir, "catalog.jsonl");
        var logPath = Path.Combine(dir, "train.jsonl");
        BuiltInSample.Write(catalogPath, logPath);
        context.Out.WriteLine($"wrote the built-in sample to {dir}/");
        return new DataStatsCommand().Run(new CliArgs(["--catalog", catalogPath, "--log", logPath]), context);
    }
}

/// <summary>A tiny hand-written marketplace: a few items and requests at every level.</summary>
internal static class BuiltInSample
{
    public static void Write(string catalogPath, string logPath)
    {
        using (var catalog = new CatalogJsonlWriter(catalogPath))
        {
            catalog.Write(new CatalogItem("1001", "Apple iPhone 15 128GB black smartphone", "Apple", "Electronics > Phones", Price: 799));
            catalog.Write(new CatalogItem("1002", "Clear silicone phone case for iPhone 15", "Spigen", "Electronics > Phone Accessories", Price: 15));
            catalog.Write(new CatalogItem("1003", "Fresh Gala apples 2 lb bag", "Orchard Co", "Grocery > Fruit", Price: 4.5f));
            catalog.Write(new CatalogItem("1004", "Samsung Galaxy S24 256GB grey smartphone", "Samsung", "Electronics > Phones", Price: 899));
            catalog.Write(new CatalogItem("1005", "Steel angle bracket 4 pack", "HardCo", "Tools > Hardware", Price: 6));
            catalog.Write(new CatalogItem("1006", "Grey fabric three seat sofa", "HomeLine", "Furniture > Sofas", Price: 540));
            catalog.Commit();
        }
        using var log = new SearchLogJsonlWriter(logPath);
        log.Write("apple phone", "u1", SearchLog.NoTime, [new("1001", UserAction.Order), new("1002", UserAction.Click), new("1003")]);
        log.Write("apple", "u2", SearchLog.NoTime, [new("1003", UserAction.Cart), new("1001", UserAction.Click), new("1002")]);
        log.Write("apple phone", "u3", SearchLog.NoTime, [new("1002"), new("1001"), new("1004", UserAction.Click)]);
        log.Write("couch", "u4", SearchLog.NoTime, [new("1006", UserAction.Order), new("1005")]);
        log.Write("angle bracket", "u5", SearchLog.NoTime, [new("1005", UserAction.Click), new("1006")]);
        log.Commit();
    }
}
