# The CLI's messages for a person (issue 20). Same keys as zh-CN/cli.ftl
# (tests/i18n.rs); every key is used through `t!` in src/.

## Command descriptions (clap's `about` lines)
cli-about = Sales actions as an immutable, verifiable event log
cli-about-serve = Run the HTTP gateway on the embedded store until SIGINT/SIGTERM.
cli-about-verify = Check the whole log's hash chain; exit 0 when it verifies, 1 with the first bad position otherwise.
cli-about-key = Print the log's verifier key (C2SP vkey) and its fingerprint, creating the signing key when absent.
cli-about-checkpoint = Sign a checkpoint of the log now and print its signed note.
cli-about-evidence = Write an evidence bundle about one customer, lead or proposal.
cli-about-verify-bundle = Verify an evidence bundle offline (no data directory needed).
cli-about-witness = Witness a running gateway's log: cosign each new checkpoint that extends the last one cosigned, refuse any other (docs/AUDIT.md).
cli-about-export = Export the log as portable JSON lines (docs/AUDIT.md).
cli-about-rebuild = Rebuild every view on this machine from an exported log (verifying the chain): the log in OUT/log, the views' tables in OUT/tables (what `serve --data OUT` answers from) and each view's answer in OUT/<view>.json.
cli-about-replay = Print a view as it was at a past position or time, folded from the log; with --weights, what health levels a different policy would have given, customer by customer.
cli-about-copy = Move a whole log between backends (a data directory or `postgres://...[?schema=NAME]`), verifying the chain as it goes; prints both sides' chain head and Merkle root.
cli-about-backup = Back a running gateway up into a data directory (`verify` checks it, `serve` serves it): the log verified as it streams, and its blobs; run again into the same directory to continue it.
cli-about-init = Publish an organisation's own reps and configuration from a TOML file (docs/INIT.md), before or between gateway runs; an invalid file is refused with its line and field (exit 1), appending nothing.
cli-about-import = Back-fill history offline (same validation and append path as the API): `import pos FILE --data DIR [--batch-lines N]`, `import customers FILE --data DIR [--map COLUMN=FIELD ...] [--dry-run]`.
cli-about-token = Manage bearer tokens (`token create | list | revoke`); works while `serve` runs, which picks the change up within a second.
cli-about-openapi = Print the gateway's OpenAPI document (the one served at `/openapi.json`).
cli-about-bench = Benchmarks that print `name=value` lines, with raw baselines measured in the same run.

## Errors at the edge
cli-held-by-gateway = data directory { $dir } is in use by a running gateway (pid { $pid }); stop it, or ask it over HTTP instead
cli-held-by-another = data directory { $dir } is in use by another process (a running gateway or another salesledger command); stop it first
cli-verify-give-data-or-url = give --data DIR, or --url URL --token T --state FILE
cli-opening-log = opening the log in { $dir }

## verify --data
cli-verify-ok = ok: { $n } records verify; head hash { $head }
cli-verify-merkle-ok = merkle tree: every node matches the log ({ $n } leaves)
cli-verify-checkpoints-ok = checkpoints: { $n } verify (signature, root, consistency with the previous); the latest covers { $size } records, root { $root }
cli-verify-no-checkpoints = checkpoints: none in the log
cli-verify-checkpoint-signer = signed by { $key } (fingerprint { $fingerprint }): { $n } checkpoints, positions { $first } to { $last }{ $mark ->
    [published] , a key given with --pubkey
    [directory] , this data directory's signing key
   *[other] {""}
}
cli-verify-keys-carried = warning: each checkpoint was checked with the key it carries, which proves it intact, not who signed it; pass --pubkey with the log's published key (as `salesledger key` printed it) to require it
cli-evidence-state-missing = { $path } does not exist: `evidence --state` reads the state file `verify --url --state` wrote (run that first, or give --pubkey)
cli-verify-url-one-pubkey = --url takes one --pubkey (the key the gateway signs with now)
cli-verify-from-checkpoint-ok = from checkpoint: ok: { $message }
cli-verify-from-checkpoint-failed = from checkpoint: FAILED: { $message }
cli-verify-failed = FAILED at position { $position }: { $what }: { $reason } ({ $n } records before it verify)

## Shared
cli-no-log = { $dir } holds no salesledger log (no log/ directory)
cli-creating = creating { $path }
cli-reading = reading { $path }
cli-writing = writing { $path }
cli-not-a-directory = { $path } is not a directory
cli-not-json = { $path } is not JSON
cli-loading-signing-key = loading the signing key
cli-opening-merkle = opening the Merkle tree
cli-reading-log = reading the log
cli-reading-key-file = reading the key file { $path }
cli-not-a-witness-vkey = --witness { $vkey }: not a witness verifier key
cli-failed = FAILED: { $error }
cli-progress-merkle = updating the Merkle tree
cli-progress-verifying = verifying
cli-progress-exporting = exporting

## key, checkpoint
cli-key-witness-absent = { $path } does not exist: give --name to create it
cli-key-give-data-or-witness = give --data DIR or --witness FILE
cli-key-fingerprint = fingerprint: { $fingerprint }
cli-checkpoint-no-new-records = no new records since the checkpoint at position { $position }
cli-checkpoint-signed = checkpoint at position { $position } covers records 0..{ $size } (tree size { $size }), root { $root }

## evidence, verify-bundle
cli-evidence-one-subject = give exactly one of --customer, --lead and --proposal
cli-evidence-give-data-or-url = give --data DIR (the gateway stopped) or --url URL --token T
cli-opening-subject-index = opening the subject index
cli-closing-subject-index = closing the subject index
cli-evidence-wrote = wrote { $path }: { $n } events about { $kind } { $id }, proven against the checkpoint of { $size } records (root { $root }); key fingerprint { $fingerprint }
cli-bundle-ok = ok: { $n } events about { $kind } { $id } are included in the log { $origin } at tree size { $size } (root { $root })
cli-bundle-positions = positions: { $positions }
cli-bundle-signed-by = checkpoint and manifest signed by { $key } (fingerprint { $fingerprint })
cli-bundle-key-given = the key is the one given with --pubkey
cli-bundle-key-from-bundle = WARNING: the key was taken from the bundle; compare its fingerprint with the log operator's published one, or pass --pubkey
cli-bundle-cosigned = cosigned by { $cosigned } of the { $given } given witnesses ({ $quorum } required):
cli-bundle-witness-at = { $witness } at { $time } (POSIX seconds)
cli-bundle-witness-invalid = { $witness }: no valid cosignature ({ $failure })
cli-bundle-attachment-included = attachment { $sha256 }: file included and matches
cli-bundle-attachment-committed = attachment { $sha256 }: hash committed (file not included)
cli-bundle-timeline = timeline:
cli-err-bundle-failure = { $location }: { $reason }
cli-err-subject-customer = customer
cli-err-subject-lead = lead
cli-err-subject-proposal = proposal
cli-err-at-bundle = bundle
cli-err-at-key = key
cli-err-at-checkpoint = checkpoint
cli-err-at-manifest = manifest
cli-err-at-event = event { $index } (position { $position })
cli-err-at-stream = stream { $stream }
cli-err-at-attachments = attachments
cli-err-at-attachment = attachment { $sha256 }
cli-err-at-schema-versions = schema_versions
cli-err-at-timeline = timeline
cli-err-at-witnesses = witnesses
cli-err-bundle-not-json = not a JSON document: { $detail }
cli-err-bundle-not-a-bundle = not a bundle: { $detail }
cli-err-bundle-unknown-format = format { $format }, expected { $format_v3 }, { $format_v2 } or { $format_v1 }
cli-err-bundle-unknown-subject-kind = unknown subject kind { $kind }
cli-err-bundle-bundle-key-malformed = the bundle's verifier key: { $detail }
cli-err-bundle-given-key-malformed = the given key: { $detail }
cli-err-bundle-key-differs = the bundle names key { $bundle_key } but the given key is { $given_key }
cli-err-bundle-fingerprint-mismatch = the fingerprint does not match the key
cli-err-bundle-origin-not-key-name = the origin is not the key's name
cli-err-bundle-signature = signature: { $detail }
cli-err-bundle-checkpoint-body = { $detail }
cli-err-bundle-checkpoint-other-origin = signed for another origin
cli-err-bundle-checkpoint-differs = tree size or root differs from the signed note
cli-err-bundle-checkpoint-inside-tree = its record position is inside the tree it covers
cli-err-bundle-manifest-line-differs = the signed manifest says { $signed } at line { $line } but the bundle gives { $bundle } (an event was dropped, added, reordered or altered)
cli-err-bundle-manifest-length = the signed manifest lists { $signed } lines, the bundle { $bundle } (an event was dropped or added)
cli-err-bundle-position-order = events are not in increasing position order
cli-err-bundle-canonical-not-base64 = canonical bytes are not base64
cli-err-bundle-leaf-hash-mismatch = leaf hash is not SHA-256(0x00 || canonical bytes)
cli-err-bundle-record-hash-mismatch = record hash is not SHA-256(canonical bytes)
cli-err-bundle-undecodable = canonical bytes do not decode: record at position { $position } is corrupt: { $detail }
cli-err-bundle-position-mismatch = the canonical bytes are the record at position { $found }
cli-err-bundle-payload-not-json = payload is not JSON: { $detail }
cli-err-bundle-view-differs = the readable record differs from the canonical bytes
cli-err-bundle-out-of-scope = not about { $kind } { $id }
cli-err-bundle-inclusion-proof = inclusion proof: { $detail }
cli-err-bundle-stream-version-missing = version { $expected } is missing (found { $found })
cli-err-bundle-policy-version-missing = version { $missing } is missing between { $before } and { $after }
cli-err-bundle-attachments-payload = payload: { $detail }
cli-err-bundle-attachments-differ = the list differs from the SHA-256 values the events reference
cli-err-bundle-content-not-base64 = content is not base64
cli-err-bundle-content-hash-mismatch = the file's SHA-256 differs
cli-err-bundle-schema-versions-differ = differ from the events'
cli-err-bundle-timeline-line-differs = line { $line } differs from the events
cli-err-bundle-re-encoding = re-encoding: { $detail }
cli-err-bundle-not-canonical = a value is not in its canonical form (e.g. upper-case hex)
cli-err-bundle-duplicate-key = the key { $key } is given twice in one object
cli-err-bundle-quorum-impossible = a quorum of { $quorum } out of { $given } given witnesses cannot be met
cli-err-bundle-quorum-not-met = { $cosigned } of the { $given } given witnesses cosigned the checkpoint, { $quorum } required; not cosigned by: { $missing }
cli-err-bundle-not-cosigned-by = { $witness } ({ $failure })
cli-err-note-malformed-note = malformed note: { $detail }
cli-err-note-malformed-checkpoint = malformed checkpoint body: { $detail }
cli-err-note-malformed-key = malformed verifier key: { $detail }
cli-err-note-not-signed = no signature by key { $name } ({ $key_id })
cli-err-note-bad-signature = the signature by { $name } does not verify
cli-err-flaw-no-final-newline = no final newline
cli-err-flaw-not-three-lines = expected exactly origin, tree size and root hash lines
cli-err-flaw-bad-origin = origin is empty or contains spaces or '+'
cli-err-flaw-bad-tree-size = tree size is not a decimal without leading zeroes
cli-err-flaw-tree-size-out-of-range = tree size out of range
cli-err-flaw-root-not-base64 = root hash is not base64
cli-err-flaw-root-not32-bytes = root hash is not 32 bytes
cli-err-flaw-root-not-canonical = root hash is not canonical base64
cli-err-flaw-not-name-key-id-key = expected name+keyid+key
cli-err-flaw-key-not-base64 = key is not base64
cli-err-flaw-not-ed25519-key = not an Ed25519 (type 0x01) key
cli-err-flaw-not-witness-key = not a witness (cosignature/v1, type 0x04) key
cli-err-flaw-key-not32-bytes = Ed25519 keys are 32 bytes
cli-err-flaw-not-ed25519-point = not a valid Ed25519 point
cli-err-flaw-key-id-mismatch = key id does not match the key
cli-err-flaw-signature-line = signature line
cli-err-flaw-signature-not-base64 = signature is not base64
cli-err-flaw-signature-too-short = signature too short
cli-err-flaw-control-characters = control characters
cli-err-flaw-no-blank-line = no blank line before the signatures
cli-err-flaw-no-signature-lines = no signature lines
cli-err-flaw-bad-key-name = key names are non-empty, without spaces or '+'
cli-err-flaw-bad-text = text must end in a newline and hold no control characters
cli-err-flaw-not-private-witness-key = a witness key starts with PRIVATE+KEY+
cli-err-flaw-not-private-key-parts = expected PRIVATE+KEY+name+keyid+key
cli-err-flaw-not-cosignature-key = not a cosignature/v1 (type 0x04) key
cli-err-flaw-seed-not32-bytes = the seed is not 32 bytes
cli-err-flaw-timestamp-out-of-range = timestamp beyond 2^63 - 1
cli-err-merkle-empty-tree = tree size is 0: the empty tree includes no leaf
cli-err-merkle-leaf-index-out-of-range = leaf index { $index } is out of range for tree size { $tree_size }
cli-err-merkle-sizes-out-of-order = old tree size { $size1 } is larger than new tree size { $size2 }
cli-err-merkle-empty-old-tree = old tree size is 0: a consistency proof from the empty tree proves nothing
cli-err-merkle-size-beyond-tree = tree size { $requested } is beyond the { $available } leaves available
cli-err-merkle-malformed-hash = the { $role } is { $len } bytes long; a SHA-256 hash is { $hash_len }
cli-err-merkle-wrong-proof-length = wrong proof length: { $actual } hashes given, { $expected } required for these sizes
cli-err-merkle-roots-differ = tree sizes are equal ({ $size }) but the roots differ
cli-err-merkle-root-mismatch = { $role } mismatch: the proof yields { $computed }, expected { $expected }
cli-err-merkle-missing-node = node (level { $level }, index { $index }) is missing from the node store
cli-err-merkle-tree-full = the tree is full
cli-err-merkle-store = node store failed: { $detail }
cli-err-role-leaf-hash = leaf hash
cli-err-role-root = root
cli-err-role-old-root = old root (root1)
cli-err-role-new-root = new root (root2)
cli-err-role-proof-element = proof element { $detail }

## export
cli-export-wrote-parquet = wrote { $path }: { $n } records in { $files } Parquet files, head hash { $head }
cli-export-wrote = wrote { $path }: { $n } records, head hash { $head }

## verify --from-checkpoint
cli-reading-checkpoint = reading the checkpoint { $path }
cli-json-has-no-note = the JSON document has no "note" field
cli-extends-no-key = no key to check the saved checkpoint with: pass --pubkey, or verify a log whose data directory holds its signing key or whose checkpoints carry the saved one's key
cli-extends-log-fails = the log itself does not verify
cli-extends-ok = the log extends the saved checkpoint: its first { $old_size } records (root { $old_root }) are unchanged in the current { $new_size } (root { $new_root })
cli-extends-not = the log does not extend the saved checkpoint: { $error }
cli-creating-failed = creating { $path }: { $error }

## token
cli-token-created = created token { $name } (role { $role }) in { $path }; it is shown only now:
cli-token-no-file = { $path } does not exist (no tokens yet)
cli-token-already-revoked = token { $name } was already revoked
cli-token-revoked = revoked token { $name }
cli-token-none = (no tokens)
cli-token-column-name = NAME
cli-token-column-role = ROLE
cli-token-column-rep-id = REP ID
cli-token-column-region = REGION
cli-token-column-created = CREATED
cli-token-column-expires = EXPIRES
cli-token-column-last-used = LAST USED
cli-token-column-status = STATUS
cli-tokens-io = { $what } { $path }: { $source }
cli-tokens-io-create-dir = creating the directory of
cli-tokens-io-open = opening
cli-tokens-io-lock = locking
cli-tokens-io-read = reading
cli-tokens-io-create = creating
cli-tokens-io-write = writing
cli-tokens-io-sync = syncing
cli-tokens-io-restrict = restricting
cli-tokens-io-replace = replacing
cli-tokens-parse = { $path } is not a valid token file: { $message }
cli-tokens-newer-version = { $path } is token file version { $version }, written by a newer salesledger; this one reads up to version { $supported }
cli-tokens-invalid = invalid token { $field }: { $message }
cli-tokens-name-taken = an active token is already named { $name }; revoke it first or choose another name
cli-tokens-not-found = no token is named { $name }

## copy
cli-copy-copied = copied { $n } records from { $from } to { $to }
cli-copy-source = source
cli-copy-destination = destination
cli-copy-identical = identical: the chain head and the Merkle root match
cli-copy-different = DIFFERENT: the copy does not match its source
cli-copy-same-log = the source and the destination are the same log
cli-copy-same-directory = the source and the destination are the same directory
cli-copy-opening-source = opening the source { $store }
cli-copy-opening-destination = opening the destination { $store }
cli-copy-destination-not-empty = the destination is not empty ({ $n } records): copy only into an empty log
cli-progress-copying = copying
cli-copy-reading-source = reading the source at position { $position }
cli-copy-source-missing = the source has no record at position { $position } below its head { $head }
cli-copy-source-bad = the source does not verify at position { $position }: { $reason }
cli-copy-writing-destination = writing the destination from position { $position }
cli-copy-source-head-mismatch = the source's records end at a hash other than its head's
cli-progress-verifying-copy = verifying the copy
cli-copy-record-missing = record { $position } is missing below the head { $head }
cli-copy-log-bad = the log does not verify at position { $position }: { $reason }
cli-copy-log-head-mismatch = the log's records end at a hash other than its head's

## init
cli-init-unchanged = { $stream }: unchanged
cli-init-kept = { $stream }: not in the file; the published one is kept
cli-init-published-version = { $stream }: published version { $version } as { $actor }
cli-init-published = { $stream }: published as { $actor }
cli-init-rep-region-kept = rep { $rep_id } ({ $name }): registered in region { $registered }, the file says { $file }; a rep's region does not change
cli-init-rep-unchanged = rep { $rep_id } ({ $name }): unchanged
cli-init-rep-registered = rep { $rep_id } ({ $name }, { $region }): registered
cli-init-rep-tags-changed = rep { $rep_id } ({ $name }, { $region }): capability tags changed
cli-init-refused = { $path }: line { $line }, column { $column }, field `{ $field }`: { $message }
cli-init-publishing = publishing the organisation file
cli-init-publishing-first-start = publishing the first-start configuration
cli-init-first-start = first start: default configuration published as { $actor } ({ $streams }); see GET /v1/config

## import
cli-opening = opening { $path }
cli-progress-rows = rows
cli-progress-pos-lines = importing POS lines
cli-import-column = column { $column }: { $field }
cli-import-row-refused = line { $line }: { $company } ({ $code }): { $reason }
cli-import-err-unknown-format = { $what } is neither a .csv nor an .xlsx file
cli-import-err-unreadable = the file cannot be read as { $format }: { $reason }
cli-import-err-no-header = the file has no header row
cli-import-err-no-company-name = no column holds the company name (header: { $header }); name it with --map COLUMN=company_name
cli-import-err-mapping-without-field = --map { $mapping }: expected COLUMN=FIELD
cli-import-err-unknown-field = --map { $mapping }: { $field } is not a field (company_name, unified_social_credit_code, phone, contact_email, owner, attributes.KEY, ignore)
cli-import-err-unknown-column = --map { $mapping }: no column { $column } (header: { $header })
cli-import-err-field-twice = --map { $field }: columns { $first } and { $second } both hold { $field }; map one of them to ignore
cli-import-err-too-many-rows = the list has { $rows } rows; at most { $max } are imported at once: split it
cli-import-err-too-many-columns = cell { $cell } is beyond column { $last }: at most { $max } columns are read; delete or move what is beyond
cli-import-err-too-much-text = the cells hold more than { $max } MiB of text; at most that much is imported at once: split the list
cli-import-customers-summary = { $dry_run ->
    [yes] { $rows } rows: would register { $registered }, already imported { $already }, owners assigned { $owners }, refused { $refused } (dry run: nothing appended)
   *[no] { $rows } rows: registered { $registered }, already imported { $already }, owners assigned { $owners }, refused { $refused }
}
cli-import-pos-no-log = { $dir } holds no log; the stores, SKUs and members must be recorded first
cli-import-pos-done = imported { $lines } lines in { $batches } batches ({ $replayed } already imported), { $events } events appended
cli-import-pos-kept = the { $batches } batch(es) before it (lines 1 to { $last }) are kept
cli-import-pos-bad-lines = import stopped at batch { $index } (lines { $first } to { $last }): { $n } bad line(s), nothing of this batch appended; { $kept }
cli-import-pos-bad-line = line { $line }: { $code }: { $detail }
cli-import-pos-batch-reused = batch { $batch_id } (lines { $first } to { $last }) was already recorded with other lines; { $kept }
cli-import-pos-stopped = import stopped at batch { $index } (lines { $first } to { $last }): { $error }; { $kept }

## rebuild, replay
cli-rebuild-not-a-rebuild = { $path } holds more than an earlier rebuild ({ $names }): --force replaces only a rebuild's files, never a data directory a gateway has served; choose another --out
cli-rebuild-not-empty = { $path } is not empty: rebuild needs a fresh directory (or --force to replace an earlier rebuild there)
cli-progress-rebuilding = rebuilding views
cli-progress-writing-tables = writing tables
cli-rebuild-wrote-parquet = wrote { $path }: { $tables } tables ({ $files } Parquet files, { $rows } rows) and tables.json
cli-removing = removing { $path }
cli-tables-undescribed = table { $table } of { $projector } has no row types for Parquet (src/analytics/tables.rs)
cli-tables-row = table { $table }: a row does not fit a column
cli-tables-duplicate-column = table { $table }: two cells named { $column } in one row
cli-tables-read = table { $table }: reading the rows
cli-tables-parquet = table { $table }: writing Parquet
cli-progress-importing = importing
cli-rebuild-imported = imported { $n } records, chain verified; head hash { $head }
cli-fold-view-stopped = view { $view } stopped at log position { $position }: { $reason }
cli-fold-timeout = the views did not catch up within { $timeout }
cli-replay-no-view = no view named { $view }; views: { $views }
cli-replay-weights-health-only = --weights applies to the health view only, not { $view }
cli-replay-not-a-policy = { $path } is not a health policy
cli-replay-invalid-policy = { $path } is not a valid health policy
cli-creating-scratch = creating a scratch directory
cli-progress-replaying = replaying
cli-progress-what-if = what-if

## verify --url, evidence --url
cli-ok = ok: { $message }
cli-replacing = replacing { $path }
cli-reading-token-file = reading the token file { $path }
cli-building-http-client = building the HTTP client
cli-reading-answer = reading the answer to GET { $url }
cli-get-failed = GET { $url }: { $status }: { $body }
cli-reading-state-file = reading the state file { $path }
cli-not-a-state-file = { $path } is not a verify state file
cli-state-format = { $path }: format { $format }, expected { $expected }
cli-quorum-unmeetable = --witness-quorum { $quorum } cannot be met by { $n } --witness keys
cli-checkpoint-not-json = the checkpoint answer is not JSON
cli-pubkey-differs = --pubkey { $given } differs from the key saved in { $path }: { $saved }
cli-log-verifier-key = the log's verifier key
cli-remote-tofu = WARNING: trusting the key the gateway presents on first use: { $vkey } (fingerprint { $fingerprint }); compare it with the operator's, or pass --pubkey
cli-remote-not-signed = the served checkpoint is not signed by the log's key: { $error }
cli-remote-other-origin = the served checkpoint is for origin { $origin }, the log's key is { $key }
cli-remote-first-state = the latest checkpoint is signed by the log's key: { $size } records, root { $root }; saved as the first state
cli-remote-cosigned = ; cosigned by { $cosigned } of the { $given } given witnesses ({ $quorum } required)
cli-remote-quorum-missed = the latest checkpoint is cosigned by { $cosigned } of the { $given } given witnesses, { $quorum } required (run the witnesses, or check which saw another log)
cli-remote-key = key { $key } (fingerprint { $fingerprint })
cli-remote-state-saved = state saved in { $path }
cli-remote-saved-head = saved tree head:  size { $size }, root { $root }
cli-remote-served-head = served tree head: size { $size }, root { $root }
cli-remote-state-unchanged = the state file { $path } is unchanged
cli-state-root-not-hex = the state file's root is not 64 hex digits
cli-remote-shrank = the log shrank: the saved checkpoint covers { $saved } records, the served one { $served } (records were removed or the log was replaced)
cli-remote-rewritten = the log was rewritten: the same size { $size } with another root (a fork)
cli-consistency-not-json = the consistency answer is not JSON
cli-remote-other-sizes = the gateway proved other tree sizes than asked
cli-remote-proof-not-hex = the consistency proof holds a hash that is not 64 hex digits
cli-remote-not-extended = the log does not extend the saved checkpoint (rewritten or forked): { $error }
cli-url-needs-token = --url needs --token
cli-remote-bundle-fails = FAILED: the downloaded bundle does not verify: { $error }
cli-remote-bundle-own-key = WARNING: checked against the bundle's own key (fingerprint { $fingerprint }); pass --pubkey or --state
cli-remote-evidence-wrote = wrote { $path }: { $n } events about { $kind } { $id }, verified against the checkpoint of { $size } records (root { $root }); key fingerprint { $fingerprint }

## witness
cli-syncing = syncing { $path }
cli-post-failed = POST { $url }: { $status }: { $body }
cli-witness-reading-key = reading the witness key { $path }
cli-witness-not-a-key = { $path } is not a witness key
cli-witness-no-randomness = no randomness for the witness key
cli-witness-name = the witness name
cli-witness-reading-state = reading the witness state { $path }
cli-witness-not-a-state = { $path } is not a witness state file
cli-witness-refused = REFUSED: { $message }
cli-witness-nothing-cosigned = nothing was cosigned; the state file { $path } is unchanged
cli-witness-note-no-body = the served note has no body
cli-witness-served-checkpoint = the served checkpoint
cli-witness-key-differs = --log-vkey { $given } differs from the key pinned for { $origin } in { $path }: { $pinned }
cli-witness-gateway-key = the gateway's verifier key
cli-witness-tofu = WARNING: pinning the key the gateway presents for { $origin } on first use: { $vkey } (fingerprint { $fingerprint }); compare it with the operator's, or pass --log-vkey
cli-witness-head = size { $size }, root { $root }
cli-witness-not-signed = the served checkpoint is not signed by the log's key { $key }: { $error }
cli-witness-other-origin = the checkpoint's origin { $origin } is not the log key's name { $name }
cli-witness-nothing-new = nothing new: { $origin } is still at { $head }, cosigned before (posted again)
cli-witness-cosigned-head = cosigned tree head: { $head }
cli-witness-served-head = served tree head:   { $head }
cli-witness-cosigning = cosigning the checkpoint
cli-witness-cosigned-extends = cosigned { $origin } at { $head }: it extends the { $previous } records cosigned before (consistency proof verified)
cli-witness-cosigned-first = cosigned { $origin } at { $head } (first checkpoint of this log)

## backup
cli-backup-done = backed up { $added } new records from { $url } into { $path } ({ $before } before, { $now } now)
cli-backup-summary = backup: records={ $records } head_hash={ $head } merkle_root={ $root }
cli-backup-blobs = blobs: { $referenced } referenced, all present; { $fetched } fetched now ({ $bytes } bytes)
cli-backup-not-included = not in the backup:
cli-backup-caveat-key = the checkpoint signing key (DATA/audit/signing.key) is not in the log: copy it out of band to keep signing with the published key; without it, `serve` on the backup signs new checkpoints with a new key (the log's old checkpoints still verify with the published one)
cli-backup-caveat-tokens = the tokens file (DATA/tokens.json) is not in the log: `serve` on the backup creates a new admin token at its first start, or copy the tokens file out of band
cli-backup-caveat-webhooks = webhook subscriptions and their secrets, and idempotency keys, are not in the log: re-create the subscriptions; a retried request acknowledged before the backup appends again
cli-backup-refused-401 = { $what }: the gateway answered { $status }: the token is missing, unknown or revoked: { $why }
cli-backup-refused-403 = { $what }: the gateway answered { $status }: the token's role may not read the whole log (use an auditor's or a supervisor's): { $why }
cli-backup-refused = { $what }: the gateway answered { $status }: { $why }
cli-backup-not-a-backup = { $path } is not empty and holds no salesledger log: not a backup; give an empty or new directory
cli-backup-opening-log = opening the backup's log in { $path }
cli-backup-opening-blobs = opening the backup's blobs in { $path }
cli-backup-position = position { $position }: { $reason }
cli-backup-payload = position { $position }: the payload
cli-backup-gateway-shorter = the gateway's log is shorter than this backup ({ $records } records, head hash { $head }): it was rolled back or replaced, or { $path } backs up another log; nothing was written ({ $error })
cli-progress-backup-check = checking the backup so far
cli-backup-reading = reading the backup at position { $position }
cli-backup-record-missing = the backup has no record { $position } below its head { $head }
cli-backup-does-not-verify = the backup in { $path } does not verify
cli-backup-head-mismatch = the backup's records end at a hash other than its head's
cli-backup-reading-export = reading the export
cli-backup-no-header = the export ended before its header
cli-backup-first-line-not-header = the export's first line is not its header
cli-backup-export-format = the export's format is { $format }, expected { $expected }
cli-backup-header-no-from = the export's header names no `from` and `prev_hash` after position 0
cli-backup-other-from = the gateway exported from position { $from }, not { $expected }
cli-backup-not-extended = the gateway's log does not extend this backup: at position { $position } the backup holds the record hashed { $ours } but the gateway's log one hashed { $theirs } (its log was rewritten or forked, or { $path } backs up another log); nothing was written
cli-progress-backing-up = backing up
cli-backup-too-many = the export holds more records than its header's { $records }
cli-backup-line-not-utf8 = export line { $line } is not UTF-8
cli-backup-gateway-export = the gateway's export
cli-backup-export-does-not-verify = the gateway's export does not verify
cli-backup-export-short = the export ended after { $got } records; its header announced { $announced } (the backup holds the { $held } verified ones; run again)
cli-backup-export-head-mismatch = the export's last record is not the head its header named
cli-backup-end-mismatch = the backup's log did not end where the export did
cli-backup-writing = writing the backup from position { $position }
cli-backup-fetching-blob = fetching the blob { $hash } (GET { $url })
cli-backup-reading-blob = reading the blob { $hash }
cli-backup-blob-mismatch = the gateway served the blob { $hash } with content hashing to { $actual }
cli-backup-storing-blob = storing the blob { $hash }

## Second-level command descriptions
cli-about-token-create = Create a token and print it once (only its SHA-256 digest is stored).
cli-about-token-list = List the tokens: name, role, rep id, region, created, expires, last used, status; never a secret.
cli-about-token-revoke = Revoke a token by name (it then gets 401 `token_revoked`).
cli-about-import-pos = POS sale lines (NDJSON, the body format of `POST /v1/pos/sales`).
cli-about-import-customers = An existing customer list (`.csv` or `.xlsx`, the first row the header): each row registered through the same path and duplicate check as `POST /v1/customers`, owners assigned where a column names the rep; every refused row reported with its line; idempotent.

## Command-line help: each flag and argument (cli-arg-<command>-<id>), computed keys (src/i18n/command_line.rs)
cli-arg-lang = Language of the messages for a person: zh-CN or en (default: from LC_ALL, LC_MESSAGES or LANG; zh* is zh-CN, anything else English). JSON, exported files and exit codes never change with it
cli-arg-help = Print help
cli-arg-version = Print version
cli-arg-serve-data = Data directory (created if absent): the log, blobs, tokens
cli-arg-serve-store = The log elsewhere: `postgres://...` (optionally `?schema=NAME`) to share one PostgreSQL log between several gateway processes, or a data directory; DATA still holds this process's tokens, blobs, read models and keys
cli-arg-serve-listen = Address to listen on
cli-arg-serve-tokens = Token file (default DATA/tokens.json; created with one admin token when absent)
cli-arg-serve-demo = Seed demo configuration, reps and customers (once per data directory) and print one token per role
cli-arg-serve-demo-scale = With --demo: `year` seeds SPEC section 4's year (17 regions, 427 customers, 327 stores and a year of POS tickets; about a minute in a release build), `small` a small organisation over 60 days with 6 stores over the last 30 (seconds, for tests)
cli-arg-serve-max-body-bytes = Largest accepted JSON request body, in bytes
cli-arg-serve-max-blob-bytes = Largest accepted evidence file, in bytes
cli-arg-serve-log-cache-mb = The embedded log's page cache, in MiB (part of the process's memory; the read models keep their own caches beside it)
cli-arg-serve-view-cache-mb = Each table projector's cache of decoded rows, in MiB (one per projector, 13 in all, and one more per private copy of a projector another reads while a view is rebuilt alone)
cli-arg-serve-view-page-cache-mb = The page cache of the read models' database, in MiB
cli-arg-serve-day-close-every-secs = Seconds between the day-close scheduler's checks for days whose close time has passed (0: no scheduler; integrators close days)
cli-arg-serve-checkpoint-every-records = Sign a checkpoint of the log after this many new records (0: only on demand with `salesledger checkpoint`; not run on a shared PostgreSQL log)
cli-arg-serve-checkpoint-every-secs = ... or this many seconds after the last one, if records arrived
cli-arg-serve-header-read-timeout-secs = Seconds a client has to send a request's complete head (request line and headers) before its connection is closed
cli-arg-serve-max-connections = Connections served at once (more wait in the listen backlog)
cli-arg-serve-shutdown-timeout-secs = Seconds `serve` may take to stop after SIGTERM/SIGINT; a step still running then (e.g. on a full disk) is abandoned, logged, and the exit status is 1
cli-arg-serve-future-margin-secs = Seconds a business time (a visit, a follow-up, an e-mail receipt, a link open, a ticket, a POS sale...) may lie ahead of this server's clock; later ones are refused with 422 `time_in_future` naming the field. At most a year
cli-arg-verify-data = Data directory of the embedded store
cli-arg-verify-url = A running gateway's base URL (`https://host:port`)
cli-arg-verify-token = Bearer token for `--url` (any role; an auditor's), or `@FILE`
cli-arg-verify-state = With `--url`: the file keeping the last verified checkpoint and the log's key (created on first use)
cli-arg-verify-pubkey = The log's verifier key (or a file holding it), obtained independently. With `--url`: without it a new state file trusts the gateway's key on first use, with a warning. With `--data` (repeatable, e.g. the keys before and after a restore without the old key): every checkpoint must be signed by one of them; without it each checkpoint is checked with the key it carries and the keys are listed, with a warning
cli-arg-verify-witness = With `--url`: a witness's verifier key (repeatable); the latest checkpoint must carry cosignatures by `--witness-quorum` of them
cli-arg-verify-witness-quorum = How many `--witness` keys must have cosigned (default: all)
cli-arg-verify-json = Print the report as JSON instead of text
cli-arg-verify-from-checkpoint = Also prove that the log extends this checkpoint, saved earlier (its signed note, or JSON with a `note` field)
cli-arg-key-data = Data directory (the key is created in DATA/audit/ when absent)
cli-arg-key-witness = Instead: a witness's key file (C2SP tlog-cosignature), created when absent (needs `--name`); prints its verifier key
cli-arg-key-name = The new witness key's name, e.g. `witness.example.com/w1`
cli-arg-checkpoint-data = Data directory of the embedded store (the gateway must be stopped), or, with `--store`, of the signer: its key and Merkle tree
cli-arg-checkpoint-store = The log elsewhere: `postgres://...[?schema=NAME]` (a log shared by several gateways, which sign no checkpoints themselves: run this on the one designated signer) or another data directory
cli-arg-checkpoint-json = Print the checkpoint record as JSON instead of the signed note
cli-arg-evidence-data = Data directory of the embedded store (the gateway must be stopped), or, with `--store`, of the signer: its key and Merkle tree
cli-arg-evidence-store = The log elsewhere (as for `checkpoint --store`): the bundle is proven against checkpoints signed with DATA's key
cli-arg-evidence-url = A running gateway (`https://host:port`): the bundle is downloaded from `GET /v1/audit/evidence/...` and verified before it is written
cli-arg-evidence-token = The bearer token for `--url` (auditor role), or `@FILE` holding it
cli-arg-evidence-pubkey = With `--url`: the log's verifier key (or a file holding it) to check the bundle against; else the key of `--state`
cli-arg-evidence-state = With `--url`: the state file of `verify --url` (its saved key)
cli-arg-evidence-customer = Every event about this customer: its streams, the streams whose opening event names it (its lead, proposals, contracts, visits, nurture packs, assets), and the policies in force
cli-arg-evidence-lead = Every event of this lead, and the routing rules in force
cli-arg-evidence-proposal = Every event of this proposal
cli-arg-evidence-with-files = Include the attachments (proposal PDFs) themselves, base64
cli-arg-evidence-out = The bundle file to write
cli-arg-verify-bundle-file = The bundle file
cli-arg-verify-bundle-pubkey = The log's verifier key (`name+keyid+base64`, or a file holding it), obtained independently of the bundle. Without it the bundle's own key is used and only its fingerprint ties it to the log
cli-arg-verify-bundle-witness = A witness's verifier key (C2SP tlog-cosignature, type 0x04), or a file holding it: the bundle's checkpoint must carry its cosignature. Repeatable
cli-arg-verify-bundle-witness-quorum = How many of the `--witness` keys must have cosigned (default: all)
cli-arg-verify-bundle-json = Print the report as JSON
cli-arg-witness-url = The gateway's base URL
cli-arg-witness-token = A witness-role bearer token, or `@FILE`
cli-arg-witness-key = The witness's private key file (`salesledger key --witness FILE --name NAME` makes one)
cli-arg-witness-state = The witness's state: per log origin, the log's key and the last cosigned checkpoint (created on first use)
cli-arg-witness-log-vkey = The log's verifier key (or a file holding it), obtained independently; without it a log new to the state file is trusted on first use, with a warning. Once pinned in the state it must match
cli-arg-witness-once = One round, then exit (the default)
cli-arg-witness-interval = Keep running, one round every SECS seconds; stops (exit 1) at the first refused checkpoint
cli-arg-export-data = Data directory of the embedded store
cli-arg-export-out = The JSON-lines file to write; with `--format parquet`, the directory of Parquet files
cli-arg-export-format = `jsonl` (the portable export, docs/AUDIT.md) or `parquet` (for analysts: typed columns, files cut by position range, README "For analysts")
cli-arg-export-records-per-file = Parquet: at most this many records per file
cli-arg-export-force = Parquet: replace an earlier export in a directory that already holds files (refused otherwise)
cli-arg-rebuild-from = The export file (`salesledger export`)
cli-arg-rebuild-out = A fresh directory (or, with --force, one an earlier rebuild wrote)
cli-arg-rebuild-format = `json`: each view's answer as OUT/<view>.json; `parquet`: every table of every view as OUT/parquet/<projector>.<table>.parquet with OUT/parquet/tables.json (README "For analysts")
cli-arg-rebuild-force = Replace an earlier rebuild in OUT instead of refusing a directory that is not empty
cli-arg-replay-data = Data directory of the embedded store
cli-arg-replay-view = The view: responsibility, health, risk, assets, funnel, receivables, digest, leaderboard, retail_stores, retail_members or todos
cli-arg-replay-position = Fold records up to and including this position
cli-arg-replay-as-of = Fold records recorded at or before this time (RFC 3339)
cli-arg-replay-weights = A health policy (JSON, as published to /v1/config/health-policy) to apply throughout instead of the published ones
cli-arg-copy-from = The log to copy: a data directory or `postgres://...[?schema=NAME]`
cli-arg-copy-to = Where to copy it: a data directory or `postgres://...[?schema=NAME]`, holding no records yet
cli-arg-copy-json = Print the report as JSON
cli-arg-backup-url = The running gateway's base URL (`https://host:port`)
cli-arg-backup-token = Bearer token of a role that may read every event type and every blob (an auditor's; a supervisor's works too), or `@FILE`
cli-arg-backup-out = The backup's data directory: absent or empty the first time, the same directory again to continue it
cli-arg-backup-json = Print the report as JSON
cli-arg-init-data = Data directory (created if absent)
cli-arg-init-store = The log elsewhere: `postgres://...` (optionally `?schema=NAME`) or a data directory, as `serve --store`
cli-arg-init-config = The organisation file (TOML; docs/INIT.md)
cli-arg-import-pos-file = The NDJSON file
cli-arg-import-pos-data = Data directory of the embedded store (its catalogue of stores, SKUs and members validates the lines)
cli-arg-import-pos-batch-lines = Lines per batch, about (whole tickets)
cli-arg-import-customers-file = The list: a `.csv` (UTF-8) or an `.xlsx` (its first worksheet)
cli-arg-import-customers-data = Data directory of the embedded store
cli-arg-import-customers-mappings = `COLUMN=FIELD`: the header cell COLUMN holds FIELD (`company_name`, `unified_social_credit_code`, `phone`, `contact_email`, `owner` (a rep's id or display name), `attributes.KEY` or `ignore`). Repeatable; common headers in English and Chinese are recognised without it
cli-arg-import-customers-dry-run = Check every row (values, duplicates against the log and the rows above, owners) and append nothing
cli-about-help = Print this message or the help of the given subcommand(s)
cli-arg-token-create-data = Data directory (its `tokens.json`)
cli-arg-token-create-tokens = The token file, when `serve` was given `--tokens FILE`
cli-arg-token-create-name = The token's name: the actor recorded on the events its holder causes (unique among active tokens)
cli-arg-token-create-role = rep, supervisor, csm, finance, legal, cto, marketing, store_manager, regional_supervisor, auditor, analyst, integrator or witness (audit checkpoints, consistency proofs and cosignatures only)
cli-arg-token-create-rep-id = For a rep token (required there): the rep it acts as
cli-arg-token-create-region = For a regional_supervisor token: the region its reads are limited to
cli-arg-token-create-expires = When it stops working: a date (YYYY-MM-DD, from 00:00 UTC that day) or an RFC 3339 time
cli-arg-token-create-json = Print `{"{"}"name": ..., "token": ..., ...{"}"}` instead of text
cli-arg-token-list-data = Data directory (its `tokens.json`)
cli-arg-token-list-tokens = The token file, when `serve` was given `--tokens FILE`
cli-arg-token-list-json = Print JSON (`{"{"}"tokens": [...]{"}"}`, as `GET /v1/tokens`) instead of a table
cli-arg-token-revoke-data = Data directory (its `tokens.json`)
cli-arg-token-revoke-tokens = The token file, when `serve` was given `--tokens FILE`
cli-arg-token-revoke-name = The token's name
cli-about-bench-audit = Inclusion proofs, a 1,000-event customer bundle, full verification against raw SHA-256, and export, over a log of N records
cli-arg-bench-audit-events = Records in the log (one customer holds 1,000 of them)
cli-arg-bench-audit-data = Keep the log in DATA instead of a temporary directory; a log that `bench audit --events N --data DATA` left there is reused, not filled again (to compare bundle builds on the same log, each from a fresh process)
cli-arg-bench-audit-bundle-only = Time only the bundle (first build, then again); skip the proofs, scan, verification and export figures
cli-about-bench-store = Durable append and read throughput of the event log against raw sled baselines on the same disk. Leaves its log in DATA so that `salesledger verify --data DATA` can check it
cli-arg-bench-store-data = A fresh (absent or empty) data directory for the log
cli-arg-bench-store-store = Measure the PostgreSQL log instead: `postgres://...` (a fresh schema is used and dropped unless `?schema=NAME` names an empty one), against raw single-row INSERT transactions on the same server
cli-arg-bench-store-events = Events appended per phase (1, 16 and 64 appenders)
cli-arg-bench-store-extra-appenders = More appender counts to measure after the standard three, e.g. `128,256` (printed as `append_128=`, ...)
cli-arg-bench-store-log-cache-mb = The log's sled page cache, in MiB, 8 to 65536 (default: the store's, as `serve` uses); the sled log only
cli-about-bench-projections = A full rebuild of every read model (the projections `serve` runs) against a raw read + decode of the same log, built from the fixture year (N events of copies, or K years of one organisation); peak memory measured in a child process
cli-arg-bench-projections-events = Events in the log (the fixture year replicated as needed: each copy adds its customers, reps and leads to the organisation)
cli-arg-bench-projections-years = Instead of copies, the specification's organisation (427 customers, 40 reps) over this many times 365 days, generated through the command pipeline: a log that grows with time at a fixed organisation size
cli-arg-bench-projections-data = Keep the log in this directory (reused by later runs when it already holds enough events, or, with `--years`, when it was built by the same `--years`); default: a temporary directory
cli-arg-bench-projections-measure = Internal: measure the log in this directory (the child process)
cli-arg-bench-projections-engine = Which read-model layer to rebuild: `tables` (the keyed-table engine, every table projector; the only one since the whole-model runner was removed)
cli-arg-bench-projections-log-cache-mb = The log's sled page cache while measuring, in MiB, 8 to 65536 (default: the store's, as `serve` uses): how much of `peak_rss_mb` is the log's cache rather than the read models
cli-arg-bench-projections-view-cache-mb = Each read model's row cache while measuring, in MiB (default: `serve`'s)
cli-arg-bench-projections-view-page-cache-mb = The read models' page cache while measuring, in MiB (default: `serve`'s)
cli-about-bench-gateway = The gateway on loopback under a mixed command load (visits, proposal evidence, claims) from concurrent clients, against the store's group-commit append rate at the same concurrency in the same run
cli-arg-bench-gateway-clients = Concurrent clients (each a rep with its own token)
cli-arg-bench-gateway-commands = Commands to send in total
cli-about-bench-pos = N generated POS lines through `POST /v1/pos/sales` of an in-process gateway (views following), against the same batches appended straight to a fresh store, then the penetration view's p99
cli-arg-bench-pos-lines = POS lines in total
cli-arg-bench-pos-batch-lines = Lines per batch (whole tickets)
cli-arg-bench-pos-clients = Batches in flight at once (both phases)

## clap's own words (src/i18n/command_line.rs)
cli-clap-usage = Usage:
cli-clap-commands = Commands
cli-clap-arguments = Arguments
cli-clap-options = Options
cli-clap-default = [default: { $value }]
cli-clap-possible-values = [possible values: { $values }]
cli-clap-error = error: { $message }
cli-clap-unknown-argument = unexpected argument '{ $arg }' found
cli-clap-unknown-command = unrecognized subcommand '{ $command }'
cli-clap-invalid-value = invalid value '{ $value }' for '{ $arg }'
cli-clap-valid-values = {" "}(possible values: { $values })
cli-clap-missing-argument = the following required arguments were not provided: { $arg }
cli-clap-missing-command = a subcommand is required
cli-clap-conflict = the argument '{ $arg }' cannot be used with '{ $other }'
cli-clap-wrong-values = wrong number of values for '{ $arg }'
cli-clap-other = the command line could not be read
cli-clap-more-help = For more information, try '--help'.

## serve: start-up lines and the demo (src/app.rs, src/demo.rs)
cli-serve-listening = salesledger gateway listening on http://{ $address } (data in { $data })
cli-serve-listening-log-at = salesledger gateway listening on http://{ $address } (log at { $log }, data in { $data })
cli-demo-seeding = seeding the demo ({ $scale }): history from { $from } to { $to } (seed { $seed })
cli-progress-demo-history = demo history (days)
cli-progress-demo-stores = demo stores (days)
cli-demo-seeded = demo seeded: { $commands } commands, { $events } events, { $reps } reps in { $regions } regions, { $customers } customers
cli-demo-seeded-stores = {"  "}chain stores: { $stores } stores ({ $franchised } franchised) in { $regions } regions, { $skus } SKUs, { $members } members, { $promotions } promotions, { $tickets } POS tickets ({ $lines } lines, average ticket { $avg_cents } cents) from { $from } to { $to }
cli-demo-already-seeded = the log already holds { $events } events: demo data not seeded again
cli-demo-tokens = demo tokens (one per role; new ones at every --demo start):
cli-demo-rep-token = the rep token acts as rep { $rep_id }
cli-serve-admin-token-created = created { $path } with one admin token (supervisor role); it is shown only now:
cli-serve-admin-token = {"  "}admin token: { $token }

## serve: what failed at start-up (the context of an error)
cli-serve-creating = creating { $path }
cli-serve-restricting = restricting { $path }
cli-serve-opening-blobs = opening the blob store
cli-serve-starting-read-models = starting the read models
cli-serve-metrics = metrics
cli-serve-opening-webhooks = opening the webhook subscriptions
cli-webhook-key-missing = the webhook key file { $path } is missing, but the webhook database holds secrets encrypted under a key: restore the key file from a backup of the data directory (a new key would make every existing webhook secret unusable)
cli-webhook-key-wrong = the webhook key file { $path } does not decrypt the secrets in the webhook database (a different key): restore the right key file from a backup of the data directory
cli-serve-starting-reactions = starting the reaction process manager
cli-serve-writing = writing { $path }
cli-serve-binding = binding { $address }
cli-serve-starting-webhook-dispatcher = starting the webhook dispatcher
cli-serve-starting-checkpointer = starting the checkpointer
cli-demo-seeding-year = seeding the demo year
cli-demo-seeding-stores = seeding the demo's chain stores

## opening a log (src/backend.rs)
cli-store-creating = creating { $path }
cli-store-opening-in = opening the event log in { $path }
cli-store-opening-at = opening the event log at { $location }

## Store locations and the log's Parquet export
cli-store-location-empty = an empty store location (give a data directory or a postgres:// URL)
cli-store-schema-empty = the schema parameter names no schema
cli-export-record-missing = record { $position } is missing from the log
cli-export-log-ended = the log ended at record { $position } of { $n }
cli-export-chain-broken = position { $position }: { $reason }
cli-export-head-differs = the last record's hash differs from the log's head
cli-renaming = renaming { $path }

## Why a log does not verify (the store's ChainBreak, the audit's AuditBreak); cli-err-* keys are computed from the variants (src/i18n/errors.rs)
cli-err-chain-position-gap = expected position { $expected }, found { $found }
cli-err-chain-prev-hash-mismatch = prev_hash { $found } does not match the previous record's hash { $expected }
cli-err-chain-hash-mismatch = stored hash { $stored } but the record hashes to { $computed }
cli-err-chain-stream-version-jump = stream { $stream } jumps to version { $found } (expected { $expected })
cli-err-chain-time-goes-backwards = recorded_at goes backwards
cli-err-chain-record-missing = record missing
cli-err-chain-head-mismatch = last hash differs from the store's head
cli-err-chain-undecodable = the record does not decode: { $detail }
cli-audit-what-record = record
cli-audit-what-merkle-tree = merkle-tree
cli-audit-what-checkpoint = checkpoint
cli-err-audit-merkle-node = node (level { $level }, index { $index }) is { $stored ->
        [none] missing
       *[other] { $stored }
    } but the log gives { $computed }
cli-err-audit-chain = { $detail }
cli-err-audit-checkpoint-key-not-published = signed by { $key }, which is not one of the keys given with --pubkey
cli-err-audit-checkpoint-unsigned = the checkpoint does not read or its signature does not verify: { $detail }
cli-err-audit-checkpoint-empty = covers no record
cli-err-audit-checkpoint-root-mismatch = signed root { $signed } for tree size { $tree_size } but the log gives { $computed }
cli-err-audit-checkpoint-shrinks = tree size { $tree_size } is smaller than the previous checkpoint's { $previous }
cli-err-audit-checkpoint-inconsistent = not consistent with the previous checkpoint: { $detail }
cli-err-audit-checkpoint-tree = the Merkle tree cannot give the checkpoint's root or proof: { $detail }
cli-export-line-chain-broken = export file line { $line }: position { $position }: { $reason }
cli-err-chain-invalid-stream-id = stream id { $problem }
cli-err-name-empty = is empty
cli-err-name-too-long = exceeds { $max } bytes
cli-err-name-control-characters = contains control characters
cli-chain-import-refused = import refused at position { $position }: { $reason }
cli-export-line-broken = export file line { $line }: { $reason }
cli-err-export-no-header = empty file: no header
cli-err-export-bad-header = header: { $detail }
cli-err-export-wrong-format = format { $found }, expected { $expected }
cli-err-export-read = cannot read the line: { $detail }
cli-err-export-not-a-record-line = not a record line: { $detail }
cli-err-export-not-base64 = canonical is not base64
cli-err-export-undecodable = the record does not decode: { $detail }
cli-err-export-position-mismatch = the line says position { $line_says } but its record is position { $record_says }
cli-err-export-ends-early = the file ends after { $found } records; the header says { $expected }
cli-err-export-head-hash-differs = the last record's hash differs from the header's head_hash
cli-err-export-too-many-records = more records than the header's { $expected }
cli-err-export-write = writing: { $detail }
cli-err-export-record-missing = record { $position } missing from the log
cli-err-export-log-out-of-order = the log returned position { $found }
cli-err-view-projection = cannot apply the event: { $detail }
cli-err-view-panicked = the projector panicked
cli-err-view-undecodable = the event does not decode: { $detail }
cli-err-view-provider-failed = reads the tables of view { $provider }, which stopped at position { $position }
cli-err-view-tables = writing its tables failed: { $detail }
cli-err-view-read-log = reading the log: { $detail }

## Benchmarks' arguments and set-up; the runtime; the demo's walk-through request
cli-starting-runtime = starting the async runtime
cli-creating-temporary-directory = creating a temporary data directory
cli-bench-pos-positive = --lines, --batch-lines and --clients must be positive
cli-bench-gateway-clients = --clients must be positive and --commands at least --clients
cli-bench-not-postgres = not a PostgreSQL location
cli-bench-events-at-least = --events must be at least { $n }
cli-bench-connecting-postgres = connecting to PostgreSQL
cli-bench-schema-not-empty = schema { $schema } already holds a log: the benchmark needs an empty one
cli-bench-data-or-store = --data or --store is required
cli-bench-log-cache-sled-only = --log-cache-mb sizes the embedded sled log's cache; a PostgreSQL log has none
cli-bench-data-no-parent = the data directory has no parent
cli-bench-creating-raw-dir = creating the raw baseline directory beside the data directory
cli-bench-running-child = running the measuring child process
cli-export-records-per-file = --records-per-file must be at least 1
cli-demo-request = the demo's walk-through request
cli-demo-request-refused = registering the walk-through customer answered { $status }: { $answer }
cli-parquet-out-not-empty = { $dir } already holds files ({ $n } entries); pass --force to replace the export there
cli-token-status-active = active
cli-token-status-expired = expired
cli-token-status-revoked = revoked
cli-serve-shutdown-incomplete = shutdown incomplete after { $secs } s: abandoned { $steps } (acknowledged appends are durable; read models and checkpoints resume from their last durable state)
cli-shutdown-step-http-drain = HTTP drain (requests still in flight)
cli-shutdown-step-webhooks = webhook dispatcher
cli-shutdown-step-checkpointer = checkpointer
cli-shutdown-step-scheduler = day-close scheduler
cli-shutdown-step-reactions = reaction process manager
cli-shutdown-step-read-models = read models' final persist
cli-shutdown-step-log-close = event log close
cli-shutdown-step-databases = closing the databases
cli-sending-request = { $method } { $url }: the request could not be sent
cli-token-entry-bad-sha256 = token of { $actor }: token_sha256 is not 64 hex digits
cli-token-entry-bad-actor = token actor "{ $actor }"
cli-token-entry-bad-region = token region of { $actor }
cli-evidence-no-events = the log holds no event about { $kind } { $id }
cli-init-too-many-reps = at most { $max } reps
cli-init-rep-twice = rep { $rep_id } ({ $name }) is already reps[{ $earlier }]; give each rep its own name or id
cli-store-unknown-scheme = { $scheme }:// is not a log this build reads: give a data directory or a postgres:// URL
cli-shutdown-step-token-use = saving token use
