package main

import (
	"fmt"
	"io"
	"path/filepath"

	"flowgate/lua/scripts"
)

// runScripts is `flowgate scripts check [DIR]`: load every script flowgate
// would run from DIR (default: the default scripts directory) — user
// scripts, syslog handlers, SNMP scripts — through the runtimes' loader,
// without running hooks, and report what would not work on flowgate. It
// exits 1 when it finds a problem, so it can guard a deployment, and 2 on
// a usage error or an unreadable directory.
func runScripts(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: flowgate scripts check [DIR]")
		return 2
	}
	dir := filepath.Join(defaultOptions().DataDir, "scripts")
	if len(args) == 2 {
		dir = args[1]
	}
	problems, err := scripts.Check(dir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "flowgate scripts check: %v\n", err)
		return 2
	}
	if problems > 0 {
		fmt.Fprintf(stdout, "%d problem(s) found\n", problems)
		return 1
	}
	fmt.Fprintln(stdout, "no problems found")
	return 0
}
