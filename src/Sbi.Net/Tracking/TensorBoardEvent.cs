namespace Sbi.Tracking;

/// <summary>One record of a TensorBoard event file (tensorboard/compat/proto/event.proto, <c>Event</c>).</summary>
/// <param name="File">The event file it was read from.</param>
/// <param name="WallTime">Seconds since the Unix epoch as the writer stored them.</param>
/// <param name="Step">The global step (0 when the writer gave none).</param>
/// <param name="FileVersion">"brain.Event:2" for a file's first event, else null.</param>
/// <param name="Values">The summary values of the event (empty for events that carry none).</param>
public sealed record TensorBoardEvent(string File, double WallTime, long Step, string? FileVersion, IReadOnlyList<TensorBoardValue> Values);

/// <summary>One summary value (<c>Summary.Value</c>): a scalar, a text, an image or something this reader does not decode.</summary>
/// <param name="Tag">The value's tag (e.g. "validation_loss", "params/learning_rate/text_summary").</param>
/// <param name="PluginName">The TensorBoard plugin named in its metadata ("text", "scalars", ...), or null.</param>
/// <param name="Scalar">A <c>simple_value</c> (float32, widened) or the one number of a "scalars" plugin tensor; else null.</param>
/// <param name="Text">The UTF-8 strings of a string tensor (text plugin), joined by newlines; else null.</param>
/// <param name="Image">An image value; else null.</param>
public sealed record TensorBoardValue(string Tag, string? PluginName, double? Scalar, string? Text, TensorBoardImage? Image);

/// <summary>An image summary (<c>Summary.Image</c>): its size, colour space and encoded bytes (PNG for TorchSharp).</summary>
public sealed record TensorBoardImage(int Height, int Width, int Colorspace, byte[] Encoded);

/// <summary>One point of a scalar series: the step, the value and the wall time it was written at.</summary>
public readonly record struct ScalarPoint(long Step, double Value, double WallTime);
