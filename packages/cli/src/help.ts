/** `--help` of every command: what it does, its arguments and options, an example. */
export const help = {
  main: `prism-consumer — run and operate Prism consumers from their YAML file

Usage:
  prism-consumer run <consumer.yaml> --processor <handler.mjs> [--http [host]:port] [--console-token <t>]
  prism-consumer validate <consumer.yaml>
  prism-consumer dlq list|show|replay|purge <consumer.yaml> [options]

Commands:
  run        consume with a handler module; health, Prometheus and the operator's console with --http
  validate   check a config (and that its drivers are installed); every problem by path, exit 2
  dlq        list, show, replay or purge the dead-letter queue of a config

Run "prism-consumer <command> --help" for a command's options.
Exit codes: 0 done, 1 failed, 2 invalid config or usage.`,
  run: `prism-consumer run <consumer.yaml> --processor <handler.mjs> [options]

Loads the config, creates each slot's driver from its installed package (@prism/driver-<driver>, or
slots.*.package), loads the handler module's default export (ESM or CommonJS; a function
(message, delivery) => void | Promise<void>, or (messages, delivery) with batch_size > 0), starts, and on
SIGTERM or SIGINT stops gracefully within behavior.shutdown_timeout (another signal a second or more later
exits at once).

Options:
  --processor <file>    the handler module (required)
  --http [host]:port    serve GET /healthz, /readyz, /metrics (Prometheus text) and the operator's
                        console at / — on 127.0.0.1 unless a host is given (0.0.0.0:9464 for all)
  --console-token <t>   what the console's replay and purge need (16+ characters; or the environment
                        variable PRISM_CONSOLE_TOKEN, which ps does not show). Without one the console
                        is read-only beyond loopback; on loopback it then needs none
  --no-console          serve the probes and /metrics only
  --lag-interval <dur>  how often the source is asked for the lag (default 5s)
  --help                this text

On a terminal a one-line status shows throughput, lag and errors; otherwise logs are JSON lines on stdout.

Example:
  prism-consumer run consumer.yaml --processor ./handler.mjs --http :9464   # then open http://127.0.0.1:9464/`,
  validate: `prism-consumer validate <consumer.yaml>

Checks the file as "run" would load it — YAML, every key and value, and that each slot's driver package
is installed and exports its factory — without connecting to anything. Prints every problem by path and
exits 2 when there is one, 0 otherwise. Meant for CI pipelines.`,
  dlq: `prism-consumer dlq <list|show|replay|purge> <consumer.yaml> [options]

Works on the config's dead-letter queue (slots.dead_letter_queue, behavior.dead_letter_topic) through
the driver's BrowsableQueue capability (NATS JetStream, Redis Streams, PostgreSQL, memstore): nothing is
received or acknowledged, so running consumers are not disturbed.

  list                    dead letters, oldest first: id, age, attempts, original topic, error
  show <id>               one dead letter: every metadata entry and the payload
  replay                  publish dead letters to their original topic through the message source's
                          driver, then remove each one; a dead letter that could not be republished stays
  purge                   remove dead letters for good (needs a filter or --all)

Filters (replay, purge, list):
  --id <id>               only this dead letter (repeatable)
  --error <text>          only those whose error contains the text
  --older-than <dur>      only those that failed longer ago than this, e.g. 1h
  --newer-than <dur>      only those that failed more recently than this
  --all                   (purge) every dead letter

Options:
  --limit <n>             list: at most n (default 100)
  --json                  list/show: JSON lines (the default when stdout is not a terminal)
  --dry-run               replay/purge: say what would be done, do nothing

Replay is at-least-once: a dead letter is removed only after the source accepted its copy.`,
} as const;
