using System.Globalization;
using System.Security;
using System.Text;

namespace Mmse.Experiments;

/// <summary>One line of a chart: its name in the legend and its points.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, bool Emphasised = false);

/// <summary>
/// A self-contained SVG line chart (axes, ticks, grid, axis labels, title, legend) that reads
/// well as an image: no scripts, no external fonts, fixed size. Supports a log-scaled x axis
/// for recall@K curves.
/// </summary>
public sealed class SvgLineChart
{
    // Okabe-Ito and Tableau colours: distinguishable, including for colour-blind readers;
    // beyond ten series the dash pattern tells lines apart.
    private static readonly string[] s_colors =
    [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C564B",
        "#7F7F7F", "#BCBD22",
    ];

    private static readonly string[] s_dashes = ["", "6,3", "2,2", "8,3,2,3"];

    public required string Title { get; init; }

    public required string XLabel { get; init; }

    public required string YLabel { get; init; }

    public bool LogX { get; init; }

    /// <summary>The x values are counts (epochs): ticks only at whole numbers.</summary>
    public bool IntegerX { get; init; }

    /// <summary>Fixed y range; null to fit the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    public int Width { get; init; } = 900;

    public int Height { get; init; } = 520;

    public IReadOnlyList<ChartSeries> Series { get; init; } = [];

    public string Render()
    {
        const int left = 72, top = 48, bottom = 64;
        var legendWidth = Series.Count == 0 ? 0 : Math.Min(260, 40 + 7 * Series.Max(s => s.Name.Length));
        var right = 24 + legendWidth;
        double plotW = Width - left - right, plotH = Height - top - bottom;

        var points = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).ToList();
        double xMin = points.Count > 0 ? points.Min(p => p.X) : 0, xMax = points.Count > 0 ? points.Max(p => p.X) : 1;
        double yMin, yMax;
        if (YRange is { } range)
        {
            (yMin, yMax) = range;
        }
        else
        {
            yMin = points.Count > 0 ? points.Min(p => p.Y) : 0;
            yMax = points.Count > 0 ? points.Max(p => p.Y) : 1;
            var pad = (yMax - yMin) * 0.05;
            if (pad == 0) pad = Math.Abs(yMax) * 0.1 + 1e-3;
            yMin -= pad;
            yMax += pad;
        }
        if (xMax <= xMin) xMax = xMin + 1;
        if (yMax <= yMin) yMax = yMin + 1;
        double Tx(double x) => LogX
            ? left + (Math.Log10(x) - Math.Log10(xMin)) / Math.Max(1e-12, Math.Log10(xMax) - Math.Log10(xMin)) * plotW
            : left + (x - xMin) / (xMax - xMin) * plotW;
        double Ty(double y) => top + plotH - (y - yMin) / (yMax - yMin) * plotH;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" font-family="Helvetica, Arial, sans-serif" font-size="13">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{Height}" fill="white"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold">{Escape(Title)}</text>""").Append('\n');

        // Grid and ticks.
        foreach (var y in Ticks(yMin, yMax, 6))
        {
            var py = Ty(y);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{left}" y1="{F(py)}" x2="{F(left + plotW)}" y2="{F(py)}" stroke="#e3e3e3"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left - 8}" y="{F(py + 4)}" text-anchor="end">{Label(y)}</text>""").Append('\n');
        }
        var xTicks = LogX ? LogTicks(xMin, xMax) : Ticks(xMin, xMax, 8);
        if (IntegerX && !LogX)
            xTicks = xMax - xMin <= 12 ? [.. Enumerable.Range((int)Math.Ceiling(xMin), (int)Math.Floor(xMax) - (int)Math.Ceiling(xMin) + 1).Select(x => (double)x)] : [.. xTicks.Where(t => t == Math.Round(t))];
        foreach (var x in xTicks)
        {
            var px = Tx(x);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{F(px)}" y1="{top}" x2="{F(px)}" y2="{F(top + plotH)}" stroke="#e3e3e3"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(px)}" y="{F(top + plotH + 18)}" text-anchor="middle">{Label(x)}</text>""").Append('\n');
        }
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{left}" y="{top}" width="{F(plotW)}" height="{F(plotH)}" fill="none" stroke="#333"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(left + plotW / 2)}" y="{Height - 18}" text-anchor="middle" font-size="14">{Escape(XLabel)}</text>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="18" y="{F(top + plotH / 2)}" text-anchor="middle" font-size="14" transform="rotate(-90 18 {F(top + plotH / 2)})">{Escape(YLabel)}</text>""").Append('\n');

        // Lines, clipped to the plot area.
        svg.Append(CultureInfo.InvariantCulture, $"""<clipPath id="plot"><rect x="{left}" y="{top}" width="{F(plotW)}" height="{F(plotH)}"/></clipPath>""").Append('\n');
        for (var s = 0; s < Series.Count; s++)
        {
            var series = Series[s];
            var usable = series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).ToList();
            if (usable.Count == 0) continue;
            var (color, dash) = Style(s);
            var width = series.Emphasised ? 3.2 : 1.8;
            var path = string.Join(" ", usable.Select((p, i) => $"{(i == 0 ? 'M' : 'L')}{F(Tx(p.X))},{F(Ty(p.Y))}"));
            svg.Append(CultureInfo.InvariantCulture, $"""<path d="{path}" fill="none" stroke="{color}" stroke-width="{F(width)}"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")} clip-path="url(#plot)"/>""").Append('\n');
            if (usable.Count <= 30)
            {
                foreach (var p in usable)
                    svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{F(Tx(p.X))}" cy="{F(Ty(p.Y))}" r="3" fill="{color}"/>""").Append('\n');
            }
        }

        // Legend.
        var lx = left + plotW + 16;
        for (var s = 0; s < Series.Count; s++)
        {
            var (color, dash) = Style(s);
            var ly = top + 10 + s * 20;
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{F(lx)}" y1="{ly}" x2="{F(lx + 26)}" y2="{ly}" stroke="{color}" stroke-width="{(Series[s].Emphasised ? 3.2 : 2)}"{(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")}/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{F(lx + 32)}" y="{ly + 4}"{(Series[s].Emphasised ? " font-weight=\"bold\"" : "")}>{Escape(Series[s].Name)}</text>""").Append('\n');
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static (string Color, string Dash) Style(int s) =>
        (s_colors[s % s_colors.Length], s_dashes[s / s_colors.Length % s_dashes.Length]);

    /// <summary>About <paramref name="count"/> round tick values (1, 2, 5 times a power of ten) within [min, max].</summary>
    internal static List<double> Ticks(double min, double max, int count)
    {
        var raw = (max - min) / Math.Max(1, count);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= raw);
        var ticks = new List<double>();
        for (var t = Math.Ceiling(min / step) * step; t <= max + step * 1e-9; t += step)
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : Math.Round(t, 10));
        return ticks;
    }

    private static List<double> LogTicks(double min, double max)
    {
        var ticks = new List<double>();
        for (var e = Math.Floor(Math.Log10(min)); e <= Math.Ceiling(Math.Log10(max)); e++)
        {
            foreach (var m in new[] { 1.0, 2.0, 5.0 })
            {
                var t = m * Math.Pow(10, e);
                if (t >= min * 0.999 && t <= max * 1.001) ticks.Add(t);
            }
        }
        return ticks;
    }

    private static string Label(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("#,0", CultureInfo.InvariantCulture)
        : Math.Abs(v - Math.Round(v)) < 1e-9 ? v.ToString("0", CultureInfo.InvariantCulture)
        : v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
