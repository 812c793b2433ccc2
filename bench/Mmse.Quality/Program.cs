using Mmse.Quality;

// Usage: Mmse.Quality <mode> --data DIR --work DIR [options]; see docs/experiments.md, "Real data: Home Depot".
var mode = args.Length > 0 ? args[0] : "help";
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
var data = Arg("data", "/work/shared/data/homedepot");
var work = Arg("work", "/work/hd");
Directory.CreateDirectory(work);
switch (mode)
{
    case "encode":
        Encode.Run(data, work, Arg("backbone", "arctic-xs"), int.Parse(Arg("threads", "0")));
        break;
    case "check":
        Check.Run(data, int.Parse(Arg("vectors", "64")));
        break;
    case "speed":
        Speed.Run(data, Arg("backbone", "arctic-xs"), int.Parse(Arg("titles", "1024")), int.Parse(Arg("queries", "200")), Arg("out", "") is { Length: > 0 } o ? o : null);
        break;
    case "probe":
        Probe.Run(data, int.Parse(Arg("titles", "512")), int.Parse(Arg("queries", "100")), Arg("int8", "false") == "true", int.Parse(Arg("batch", "64")), int.Parse(Arg("tokens", "2048")));
        break;
    case "profile":
        Profile.Run(Arg("int8", "false") == "true", int.Parse(Arg("tokens", "14")), int.Parse(Arg("batch", "1")));
        break;
    case "split":
        // The three parts of train.jsonl by RealData.PartOf, as the files `mmse train --train
        // --valid` and `mmse experiment --test` read: WORK/train.jsonl, tune.jsonl, valid.jsonl.
        {
            var names = new[] { "train.jsonl", "tune.jsonl", "valid.jsonl" };
            var writers = names.Select(n => new StreamWriter(Path.Combine(work, n))).ToArray();
            var counts = new int[3];
            foreach (var line in File.ReadLines(Path.Combine(data, "train.jsonl")))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = System.Text.Json.JsonDocument.Parse(line);
                var part = RealData.PartOf(doc.RootElement.GetProperty("query").GetString()!);
                writers[part].WriteLine(line);
                counts[part]++;
            }
            foreach (var w in writers) w.Dispose();
            Console.WriteLine($"{work}: train.jsonl {counts[0]}, tune.jsonl {counts[1]}, valid.jsonl {counts[2]} requests");
        }
        break;
    case "noprefix":
        // Research probe: arctic-xs queries without the retrieval prefix (a third of the tokens),
        // written as backbone "arctic-xs-noprefix" beside the prefixed ones, so eval shows the
        // recall the prefix is worth; and the single-query latency of both, int8 + spinning.
        {
            var d = RealData.Load(data);
            using var enc = Mmse.Backbone.BackboneEncoder.Load("arctic-xs", new Mmse.Backbone.BackboneOptions { QueryCacheCapacity = 0 });
            var q = new float[d.Requests.Length * enc.Dimension];
            enc.EncodeItems([.. d.Requests.Select(r => r.Query)], q);
            Mmse.Data.Vectors.WriteFvecs(Path.Combine(work, "arctic-xs-noprefix-queries.fvecs"), q, enc.Dimension);
            File.Copy(Path.Combine(work, "arctic-xs-items.fvecs"), Path.Combine(work, "arctic-xs-noprefix-items.fvecs"), true);
            using var fast = Mmse.Backbone.BackboneEncoder.Load("arctic-xs-int8", new Mmse.Backbone.BackboneOptions { QueryCacheCapacity = 0, QueryThreads = 0, AllowSpinning = true });
            var sample = d.Requests.Where(r => r.Part == RealData.Validation).Take(300).Select(r => r.Query).ToArray();
            var one = new float[fast.Dimension];
            foreach (var (label, times) in new[]
            {
                ("with", Speed.Time(sample, text => fast.EncodeQuery(text))),
                ("without", Speed.Time(sample, text => fast.EncodeItems([text], one))),
            })
                Console.WriteLine($"int8, 2 threads, spinning, {label} prefix: p50 {Speed.P(times, 0.5):F2} ms, p99 {Speed.P(times, 0.99):F2} ms");
        }
        break;
    case "batching":
        // How much a batch of concurrent queries saves per query: the case for micro-batching
        // query encoding in the server. One intra-op thread, like one serving worker.
        {
            var d = RealData.Load(data);
            var sample = d.Requests.Where(r => r.Part == RealData.Validation).Select(r => r.Query).Distinct().Take(512).ToArray();
            foreach (var name in new[] { "arctic-xs", "arctic-xs-int8" })
            {
                using var enc = Mmse.Backbone.BackboneEncoder.Load(name, new Mmse.Backbone.BackboneOptions { QueryCacheCapacity = 0, Threads = int.Parse(Arg("threads", "1")), QueryThreads = int.Parse(Arg("threads", "1")) });
                foreach (var b in new[] { 1, 2, 4, 8, 16, 32 })
                {
                    var output = new float[b * enc.Dimension];
                    enc.EncodeQueries(sample[..b], output); // warm-up
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    var batches = 0;
                    for (var s = 0; s + b <= sample.Length; s += b, batches++)
                        enc.EncodeQueries(sample[s..(s + b)], output);
                    var ms = watch.Elapsed.TotalMilliseconds;
                    Console.WriteLine($"{name,-15} batch {b,3}: {ms / batches,7:F2} ms a batch, {ms / (batches * b),6:F3} ms a query");
                }
            }
        }
        break;
    case "eval":
        Eval.Run(data, work);
        break;
    default:
        Console.WriteLine("modes: split | encode --backbone arctic-xs|minilm|arctic-xs-int8 | check | speed | eval   (all take --data DIR --work DIR)");
        break;
}
