using System.CommandLine;
using System.Globalization;
using Mmse.Data;
using Mmse.Internals;
using Mmse.Model;
using Mmse.Training;

namespace Mmse.Cli.Commands;

internal sealed class TrainCommand : Command
{
    public override string Name => "train";

    public override string Summary => "Train an MMSE model (or a baseline) on a catalog and a search log";

    public override string Help => $"""
        Usage: mmse train --catalog FILE --train FILE [--valid FILE] --out MODEL [--config FILE.json]
                          [--variant mmse|two-tower|dpsr|amazon3] [--epochs N] [--threads N] [--seed S]
                          [--json OUT] [--skip-bad] [any setting below]

        Trains the towers of DESIGN §4 with the losses of §5. Without --valid a seeded share of the
        training requests is held out; the model of the epoch with the best validation
        recall_order@100 is saved. Settings come from the defaults, then --config (a JSON object with
        the same names as the flags, e.g. "heads": 2 and "tau": 0.05 in one object), then the flags.

        Options:
          --catalog FILE   the catalog (.jsonl, .csv or .tsv)                       (required)
          --train FILE     the training search log (.jsonl)                          (required)
          --valid FILE     a validation log (default: hold out --valid-share)
          --out MODEL      where to write the model                                  (required)
          --config FILE    JSON settings
          --json OUT       write a run summary (epochs, requests_seen, train_seconds,
                           train_requests_per_s, best_valid_recall_order@100, history)
          --skip-bad       skip bad records (counted and reported)

        Settings (flag --name VALUE; booleans are plain flags):
        {string.Join(Environment.NewLine, Settings.All.Select(s => $"  --{s.Name,-22} {s.Help}"))}

        Example:
          mmse train --catalog data/catalog.jsonl --train data/train.jsonl --out model.mmse --epochs 5 --json run.json
          mmse train --catalog data/catalog.jsonl --train data/train.jsonl --out tt.mmse --variant two-tower
        """;

    private readonly Option<string?> _catalog = CliOptions.Text("--catalog");
    private readonly Option<string?> _train = CliOptions.Text("--train");
    private readonly Option<string?> _valid = CliOptions.Text("--valid");
    private readonly Option<string?> _out = CliOptions.Text("--out");
    private readonly Option<string?> _config = CliOptions.Text("--config");
    private readonly Option<string?> _json = CliOptions.Text("--json");
    private readonly Option<bool> _skipBad = CliOptions.Flag("--skip-bad");
    private readonly SettingOptions _settings = new();

    public override int Run(ParseResult args, CliContext context)
    {
        var catalogPath = args.Required(_catalog);
        var trainPath = args.Required(_train);
        var validPath = args.GetValue(_valid);
        var outPath = args.Required(_out);
        var configPath = args.GetValue(_config);
        var jsonPath = args.GetValue(_json);
        var skipBad = args.GetValue(_skipBad);
        new OutputGuard().Input("--catalog", catalogPath).Input("--train", trainPath).Input("--valid", validPath)
            .Input("--config", configPath).File("--out", outPath).File("--json", jsonPath).Check();
        var (model, train) = _settings.Read(args, configPath);
        model.Validate();
        train.Validate();

        var readOptions = new DataReadOptions { SkipBad = skipBad };
        var problems = new DataProblems(readOptions.MaxReportedProblems);
        var (catalog, trainLog) = DataLoading.Load(catalogPath, trainPath, readOptions, problems, context);
        var validLog = validPath is null ? null : DataLoading.LoadLog(validPath, catalog, readOptions, problems, context);
        if (trainLog.Count == 0)
            ThrowHelper.Input($"{trainPath}: no requests to train on");

        var result = Trainer.Train(catalog, trainLog, validLog, model, train, context.Progress, context.Cancellation);
        result.Model.Save(outPath);

        var o = context.Out;
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained {train.Variant} on {result.TrainRequests:N0} requests (+{result.PseudoRequestsPerEpoch:N0} catalog pseudo-requests per epoch), validated on {result.ValidRequests:N0}"));
        foreach (var e in result.Epochs)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {e.Epoch,3}  loss {e.TotalLoss:F4} (retrieval {e.RetrievalLoss:F4}, ranking {e.RankingLoss:F4})  valid recall_order@100 {e.ValidRecall:F4}  {e.RequestsPerSecond:F0} req/s"));
        }
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"best epoch {result.BestEpoch} (recall_order@100 {result.BestValidRecall:F4}){(result.StoppedEarly ? ", stopped early" : "")}; {result.RequestsPerSecond:F0} requests/s over {result.TrainSeconds:F1} s of training; model {outPath} ({result.Model.Version})"));

        if (jsonPath is not null)
        {
            JsonOutput.Write(jsonPath, new Dictionary<string, object>
            {
                ["variant"] = train.Variant.ToString(),
                ["epochs"] = result.Epochs.Count,
                ["best_epoch"] = result.BestEpoch,
                ["requests_seen"] = result.RequestsSeen,
                ["train_requests"] = result.TrainRequests,
                ["valid_requests"] = result.ValidRequests,
                ["train_seconds"] = Math.Round(result.TrainSeconds, 3),
                ["train_requests_per_s"] = Math.Round(result.RequestsPerSecond, 1),
                ["best_valid_recall_order@100"] = result.BestValidRecall,
                ["stopped_early"] = result.StoppedEarly,
                ["model"] = outPath,
                ["model_version"] = result.Model.Version,
                ["history"] = result.Epochs.Select(e => new Dictionary<string, object>
                {
                    ["epoch"] = e.Epoch,
                    ["loss"] = e.TotalLoss,
                    ["retrieval_loss"] = e.RetrievalLoss,
                    ["ranking_loss"] = e.RankingLoss,
                    ["valid_recall_order@100"] = e.ValidRecall,
                    ["requests"] = e.Requests,
                    ["seconds"] = Math.Round(e.Seconds, 3),
                }).ToList(),
            });
        }
        return ExitCodes.Ok;
    }
}
