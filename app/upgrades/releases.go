package upgrades

// Release is one published release of medchaind: the commit its binary is
// built from, the consensus version of each medchain module in it, and the
// name of the governance upgrade plan that moves a running chain to it.
// RELEASES.md says the same for people, and a test keeps the two equal;
// `make test-upgrade` builds earlier releases from these commits.
type Release struct {
	// Version is the release's semantic version, as `medchaind version`
	// prints it.
	Version string
	// Commit is the git commit the release's binary is built from; empty
	// for the release this tree is (built from the working tree).
	Commit string
	// Upgrade is the name of the upgrade plan that moves a chain of an
	// earlier release to this one; empty for the first release.
	Upgrade string
	// Modules holds the consensus version of each medchain module.
	Modules map[string]uint64
}

// Releases lists every release, oldest first; the last is this tree.
//
// Every upgrade name in this list still has a handler in the current
// binary, and each of them runs every migration from the version map the
// chain has, so a chain of any earlier release reaches the current state
// whichever of these names its governance plan carried.
var Releases = []Release{
	{
		Version: "v0.1.0",
		Commit:  "98a1f0c1b910e7f75c8812aa6e3a9c4783ef576a",
		Modules: map[string]uint64{"issuers": 1, "records": 1, "access": 1, "datanft": 1},
	},
	{
		Version: "v0.2.0",
		Commit:  "cd0ed83c11237503db76a2920fc63217ed8c996a",
		Upgrade: "cid-ownership",
		Modules: map[string]uint64{"issuers": 1, "records": 2, "access": 2, "datanft": 1},
	},
	{
		Version: "v0.3.0",
		Commit:  "d6755b851d58a3c6f7f52c9517fe9b12fc9e8931",
		Upgrade: "sealed-metadata",
		Modules: map[string]uint64{"issuers": 1, "records": 3, "access": 3, "datanft": 1},
	},
	{
		Version: "v0.4.0",
		Commit:  "866214fd5e72bb079ce83abf0cdaf21fcc9cda42",
		Upgrade: "emergency-access",
		Modules: map[string]uint64{"issuers": 1, "records": 3, "access": 4, "datanft": 1},
	},
	{
		Version: "v0.5.0",
		Upgrade: "multihash-identity",
		Modules: map[string]uint64{"issuers": 1, "records": 4, "access": 5, "datanft": 2},
	},
}

// Current is the release this tree builds.
func Current() Release { return Releases[len(Releases)-1] }
