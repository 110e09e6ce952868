package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"
)

// ANSI sequences of the top view: home the cursor, clear the screen.
const clearScreen = "\x1b[H\x1b[2J"

// Top redraws the status view every refresh until ctx is done. With asJSON it
// writes one JSON document per refresh instead (for a pipe).
func Top(ctx context.Context, w io.Writer, o *Observer, refresh time.Duration, asJSON bool) error {
	for {
		st, err := o.Observe(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var buf bytes.Buffer
		if err := frame(&buf, st, err, refresh, asJSON); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(refresh):
		}
	}
}

// frame renders one refresh: the view, or the error that kept it from being
// read (the next refresh tries again).
func frame(buf *bytes.Buffer, st Status, readErr error, refresh time.Duration, asJSON bool) error {
	switch {
	case readErr != nil && asJSON:
		return JSON(buf, map[string]string{"error": readErr.Error()})
	case readErr != nil:
		fmt.Fprintf(buf, "%s%s  vigia top: %v (retrying)\n", clearScreen,
			time.Now().Format(time.DateTime), readErr)
		return nil
	case asJSON:
		return JSON(buf, st)
	}
	buf.WriteString(clearScreen)
	fmt.Fprintf(buf, "vigia top: every %s, Ctrl-C to quit\n", refresh)
	return WriteStatus(buf, st)
}
