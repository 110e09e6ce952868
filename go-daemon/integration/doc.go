// Package integration runs the real vigia binary against the real Docker
// engine: the 3 + 2 rule on a crowded host, the database it writes, the cron
// entry's life through SIGTERM, kill -9 and `vigia cleanup`, and Docker going
// away and coming back. Build tag: integration (go test -tags integration).
//
// The tests only act on containers they labelled io.vigia.instance=<an instance of
// their own> or io.vigia.test=<that instance>; the daemon runs with
// VIGIA_INSTANCE set to it, so other vigia containers of the host are foreign
// to it.
//
// Limitations: Docker "going away" is a proxy socket the test cuts, not a
// stopped engine, because other work shares the engine.
package integration
