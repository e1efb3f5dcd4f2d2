// costbot is a Telegram bot that tells an AWS account's owner what their resources cost
// right now, keeps the monthly bills, and stops Lightsail instances before they run past
// their monthly data-transfer allowance.
//
// main is the door: the daemon and every subcommand live in package cli.
package main

import (
	"os"
	_ "time/tzdata" // REPORT_TZ must resolve in a static binary on a bare image

	"costbot/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
