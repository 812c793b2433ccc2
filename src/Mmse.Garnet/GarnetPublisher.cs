using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Mmse.Data;
using Mmse.Internals;
using StackExchange.Redis;

namespace Mmse.Garnet;

/// <summary>How <c>mmse publish</c> writes. Defaults suit a few million items on a small cluster.</summary>
public sealed record PublishOptions
{
    /// <summary>Vector sets to spread the items over; 0 = 2 per primary, or what the manifest already has (default 0).</summary>
    public int Shards { get; init; }

    /// <summary>Garnet's quantisation: <c>noquant</c> (float32, exact scores), <c>q8</c> or <c>bin</c> (default noquant).</summary>
    public string Quantize { get; init; } = "noquant";

    /// <summary>Commands in flight at once; the client pipelines them on one connection per node (default 512).</summary>
    public int Pipeline { get; init; } = 512;

    /// <summary>Graph links per element (VADD M; default 16, Garnet's own).</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate list while inserting (VADD EF; default 200, Garnet's own).</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Drop sets written by another model, dimension, quantisation or shard count instead of refusing (default false).</summary>
    public bool Replace { get; init; }
}

/// <summary>What one publish did.</summary>
public sealed record PublishReport(int Items, int Added, int Updated, int Unchanged, int Removed, int Shards, double Seconds)
{
    /// <summary>Items written (added or updated) per second.</summary>
    public double ItemsPerSecond => Seconds > 0 ? (Added + Updated) / Seconds : 0;
}

/// <summary>
/// Writes a catalog's item vectors into Garnet vector sets (<see cref="VectorSetLayout"/>).
/// Each shard keeps a hash of item id -> fingerprint beside its set, so a re-publish sends only
/// what changed, removes what left the catalog, and an interrupted publish resumes where it
/// stopped. The manifest is marked incomplete for the duration, so a server never loads a set
/// that is half one catalog and half another.
/// </summary>
public sealed class GarnetPublisher(IConnectionMultiplexer connection, GarnetTarget target)
{
    private readonly IDatabase _db = (connection ?? throw new ArgumentNullException(nameof(connection))).GetDatabase();

    /// <summary>
    /// Publishes <paramref name="vectors"/> [catalog.Count, dim] (row i = catalog item i; scaled to unit
    /// length here) with the catalog's filterable fields, as model <paramref name="modelVersion"/>.
    /// </summary>
    public PublishReport Publish(Catalog catalog, float[] vectors, int dim, string modelVersion, PublishOptions options,
        ProgressReporter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(options);
        progress ??= ProgressReporter.Silent;
        if (vectors.Length != (long)catalog.Count * dim)
            ThrowHelper.Input($"{vectors.Length / Math.Max(dim, 1)} vectors of dimension {dim} for a catalog of {catalog.Count} items: one row per item, in catalog order");
        var quantize = options.Quantize.ToLowerInvariant();
        if (quantize is not ("noquant" or "q8" or "bin"))
            ThrowHelper.Input($"--quantize '{options.Quantize}': one of noquant, q8, bin");
        var clock = Stopwatch.StartNew();

        var old = ReadManifest();
        var shards = options.Shards > 0 ? options.Shards : old?.Shards.Count ?? 2 * Math.Max(1, Primaries().Count);
        var fresh = old is null;
        if (old is not null && (old.ModelVersion != modelVersion || old.Dim != dim || old.Quantize != quantize || old.Shards.Count != shards))
        {
            if (!options.Replace)
                ThrowHelper.Input($"{target.ManifestKey} holds model {old.ModelVersion} (d={old.Dim}, {old.Quantize}, {old.Shards.Count} shards), " +
                    $"not {modelVersion} (d={dim}, {quantize}, {shards} shards): publish with --replace, or under another --name");
            foreach (var key in old.Shards)
                _db.KeyDelete([key, key + ":fp"]);
            fresh = true;
        }
        var keys = fresh ? ShardKeys(shards) : old!.Shards;
        var manifest = new PublishManifest { ModelVersion = modelVersion, Dim = dim, Quantize = quantize, Shards = keys, Count = old?.Count ?? 0, Complete = false };
        _db.StringSet(target.ManifestKey, manifest.ToJson());

        // What each shard holds now: id -> fingerprint.
        var known = new Dictionary<string, string>[shards];
        for (var s = 0; s < shards; s++)
        {
            known[s] = new(StringComparer.Ordinal);
            if (!fresh)
            {
                foreach (var entry in _db.HashGetAll(keys[s] + ":fp"))
                    known[s][entry.Name!] = entry.Value!;
            }
        }

        int added = 0, updated = 0, unchanged = 0, removed = 0;
        var inFlight = new List<Task>(options.Pipeline * 3);
        progress.Start($"publishing {catalog.Count:N0} items to {shards} shards");
        for (var i = 0; i < catalog.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var row = vectors.AsSpan(i * dim, dim);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
                TensorPrimitives.Divide(row, norm, row);
            var id = catalog.Ids[i];
            var s = VectorSetLayout.ShardOf(id, shards);
            var attributes = VectorSetLayout.Attributes(catalog, i);
            var fingerprint = VectorSetLayout.Fingerprint(row, attributes);
            var had = known[s].Remove(id, out var previous);
            if (had && previous == fingerprint)
            {
                unchanged++;
                continue;
            }
            if (had)
                updated++;
            else
                added++;
            // Garnet's VADD leaves an existing element as it was (docs/scaling.md, "Gaps"), so a
            // changed item is removed first; after an interrupted run an item may be in the set
            // without its fingerprint, hence the VREM for every item once the set is not new.
            if (!fresh)
                inFlight.Add(_db.ExecuteAsync("VREM", (RedisKey)keys[s], id));
            inFlight.Add(_db.ExecuteAsync("VADD", (RedisKey)keys[s], "FP32", MemoryMarshal.AsBytes(row).ToArray(), id,
                quantize.ToUpperInvariant(), "EF", options.EfConstruction, "SETATTR", attributes, "M", options.M));
            inFlight.Add(_db.HashSetAsync(keys[s] + ":fp", id, fingerprint));
            if (inFlight.Count >= options.Pipeline)
            {
                Drain(inFlight);
                progress.Report(i + 1, catalog.Count, $"{(added + updated) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):N0} items/s");
            }
        }
        // Whatever is left in the fingerprints has left the catalog.
        for (var s = 0; s < shards; s++)
        {
            foreach (var id in known[s].Keys)
            {
                inFlight.Add(_db.ExecuteAsync("VREM", (RedisKey)keys[s], id));
                inFlight.Add(_db.HashDeleteAsync(keys[s] + ":fp", id));
                removed++;
                if (inFlight.Count >= options.Pipeline)
                    Drain(inFlight);
            }
        }
        Drain(inFlight);
        progress.Finish();
        _db.StringSet(target.ManifestKey, (manifest with { Count = catalog.Count, Complete = true }).ToJson());
        return new PublishReport(catalog.Count, added, updated, unchanged, removed, shards, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The manifest under the target's key, or null when there is none.</summary>
    public PublishManifest? ReadManifest()
    {
        var json = _db.StringGet(target.ManifestKey);
        if (json.IsNull)
            return null;
        return PublishManifest.FromJson(json!) ?? ThrowHelper.Input<PublishManifest>(
            $"{target.ManifestKey} is not an Mmse manifest of format {PublishManifest.CurrentFormat}: publish under another --name");
    }

    private static void Drain(List<Task> inFlight)
    {
        try
        {
            Task.WaitAll(inFlight);
        }
        catch (AggregateException e) when (e.InnerException is RedisServerException server)
        {
            ThrowHelper.Input($"Garnet refused a write: {server.Message}", server);
        }
        inFlight.Clear();
    }

    private List<ClusterNode> Primaries()
    {
        var server = connection.GetServers().FirstOrDefault(s => s.IsConnected);
        var config = server?.ServerType == ServerType.Cluster ? server.ClusterConfiguration : null;
        return config is null ? [] : [.. config.Nodes.Where(n => !n.IsReplica && n.Slots.Count > 0).OrderBy(n => n.EndPoint?.ToString(), StringComparer.Ordinal)];
    }

    // Shard s goes to primary s mod P: its key's hash tag is searched until its slot lands there.
    private string[] ShardKeys(int shards)
    {
        var primaries = Primaries();
        ClusterConfiguration? config = connection.GetServers().FirstOrDefault(s => s.IsConnected)?.ClusterConfiguration;
        var keys = new string[shards];
        for (var s = 0; s < shards; s++)
        {
            for (var n = 0; ; n++)
            {
                var key = $"{target.Prefix}:{{{target.Prefix}-s{s}-{n}}}:v";
                if (primaries.Count == 0 || config is null)
                {
                    keys[s] = key;
                    break;
                }
                var owner = config.GetBySlot(connection.HashSlot(key));
                if (owner is not null && owner.NodeId == primaries[s % primaries.Count].NodeId)
                {
                    keys[s] = key;
                    break;
                }
            }
        }
        return keys;
    }
}
