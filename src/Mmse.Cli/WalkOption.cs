using System.CommandLine;
using Mmse.Index;

namespace Mmse.Cli;

/// <summary>The <c>--walk fused|per-head</c> option of serve, search and eval (docs/index.md, "Multi-head search").</summary>
internal static class WalkOption
{
    public static Option<string> Create() =>
        CliOptions.Choice("--walk", MultiHeadWalkNames.All[0], [.. MultiHeadWalkNames.All]);

    public static MultiHeadWalk GetWalk(this ParseResult args, Option<string> option) =>
        MultiHeadWalkNames.Parse(args.GetValue(option)!);
}
