using System.Runtime.CompilerServices;
using Sbi.Estimators;

namespace Sbi.Families;

/// <summary>
/// Registers sbi's four families when the library loads. A module initializer, so that the registry
/// (<see cref="EstimatorFamilies"/>, in Sbi.Estimators) needs no reference to the families, which depend on it.
/// </summary>
internal static class BuiltInFamilies
{
#pragma warning disable CA2255 // a library registering its own built-ins is the intended use
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        EstimatorFamilies.Register(new MafFamily());
        EstimatorFamilies.Register(new NsfFamily());
        EstimatorFamilies.Register(new MdnFamily());
        EstimatorFamilies.Register(new MadeMixtureFamily());
    }
}
