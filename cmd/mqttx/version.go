package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// versionString describes this build: the module version ("(devel)" for a
// build from a checkout), the commit and its time when the build recorded
// them, and the Go version.
func versionString() string {
	b := []string{"mqttx"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "mqttx (no build information) " + runtime.Version()
	}
	b = append(b, info.Main.Version)
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+changes"
			}
		}
	}
	if rev != "" {
		b = append(b, "commit "+rev[:min(12, len(rev))]+dirty)
	}
	if at != "" {
		b = append(b, at)
	}
	return strings.Join(append(b, runtime.Version()), " ")
}
