package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/tobanbot/toban/storage"
)

const dbUsage = `usage:
  toban db copy --from SOURCE --to TARGET [--force]
      SOURCE, TARGET: a SQLite file or a postgres:// URL. Stop toban first.
      A target that already holds rows is refused unless --force replaces them.`

// dbCLI runs `toban db copy`, which moves an installation from its SQLite
// file to PostgreSQL (or back). It needs no Slack or PagerDuty settings.
func dbCLI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprintln(stderr, dbUsage)
		return 2
	}
	fs := flag.NewFlagSet("db copy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "source database")
	to := fs.String("to", "", "target database")
	force := fs.Bool("force", false, "replace the target's rows")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *from == "" || *to == "" {
		fmt.Fprintln(stderr, dbUsage)
		return 2
	}
	for _, v := range []struct{ flag, value string }{{"--from", *from}, {"--to", *to}} {
		if _, err := storage.ParseTarget(v.value); err != nil {
			fmt.Fprintf(stderr, "toban db copy: %s: %v\n", v.flag, err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	counts, err := storage.Copy(ctx, *from, *to, *force)
	if err != nil {
		fmt.Fprintln(stderr, "toban db copy:", err)
		return 1
	}
	var total int64
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-24s %8d rows\n", c.Table, c.Rows)
		total += c.Rows
	}
	fmt.Fprintf(stdout, "copied %d rows in %d tables; counts match\n", total, len(counts))
	return 0
}
