using System.Text.Json.Nodes;
using Sbi.Data;
using Sbi.Numpy;

namespace Sbi.Parity.Reference;

/// <summary>A successful reply of the Python reference: named arrays, case information and the versions it ran with.</summary>
public sealed record ReferenceReply(IReadOnlyDictionary<string, NpyArray> Arrays, JsonObject Info, IReadOnlyDictionary<string, string> Versions);
