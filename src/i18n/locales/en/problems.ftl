# Problem messages of the HTTP API, English (issue 20).
#
# One message per stable problem `code` (its `detail`) and one per HTTP
# status (its `title`). zh-CN/problems.ftl must hold exactly the same keys
# (tests/i18n.rs). English answers keep the call site's own detail, which
# names the instance; these entries are the reference the Chinese ones
# translate. Variables are the problem's structured fields.

## Titles, by status

status-400 = Bad request
status-401 = Unauthenticated
status-403 = Forbidden
status-404 = Not found
status-405 = Method not allowed
status-409 = Conflict
status-413 = Payload too large
status-415 = Unsupported media type
status-422 = Unprocessable request
status-500 = Internal error
status-503 = Service unavailable
status-507 = Insufficient storage
# A message whose variables were not all given.
generic-detail = The request could not be completed (code { $code }).

## Authentication and authorisation

unauthenticated = A valid `Authorization: Bearer <token>` header is required.
token_expired = This bearer token has expired; ask a supervisor for a new one.
token_revoked = This bearer token was revoked; ask a supervisor for a new one.
invalid_token = The token is not valid.
tokens_fixed = The token file is managed by the command line; tokens cannot be changed over HTTP.
token_name_taken = A token with this name already exists.
forbidden = The caller's role may not do this.
not_customer_owner = A rep may only act on customers they own.
not_visit_rep = Rep { $rep_id } is not the rep of this visit ({ $visit_rep_id }).
not_own_rep = A rep may only act as themselves.
rep_identity_unknown = This token is not linked to a rep.
evidence_needs_the_designated_signer = Evidence bundles need the designated signer's key, which this gateway does not hold.

## Requests

unknown_route = No such route.
method_not_allowed = This route does not answer this method.
unsupported_media_type = The body must be `application/json`.
body_too_large = The body is larger than the gateway accepts.
unreadable_body = The body could not be read.
malformed_body = The body is not valid JSON of the expected shape (at { $path }).
malformed_json = The body is not valid JSON (at { $path }).
unknown_field = The body has a field this route does not know (at { $path }).
wrong_type = A value in the body has the wrong type (at { $path }).
missing_field = A required field is missing from the body (at { $path }).
invalid_body = The body could not be decoded (at { $path }).
invalid_query = The query string is not valid for this route.
invalid_header = A request header is not valid.
invalid_path_parameter = A path parameter is not valid.
invalid_cursor = The paging cursor is not valid.
invalid_date_range = The date range is not valid.
invalid_period = The period is not valid.
invalid_last_event_id = `Last-Event-ID` is not a valid event position.
invalid_idempotency_key = The `Idempotency-Key` header is not valid.
idempotency_key_reused = This `Idempotency-Key` was already used for a different request.
invalid_batch_size = The batch size is out of range.
missing_batch_id = The request needs a `batch_id`.
not_found = Not found.
time_in_future = { $field } lies beyond the server's time ({ $server_time }) plus { $margin_secs } seconds.
contention = Too many concurrent writes on this record; retry.

## Files and storage

blob_not_found = The file was not found.
blob_not_uploaded = The referenced file was not uploaded.
blob_too_large = The file is too large.
empty_blob = The file is empty.
invalid_sha256 = Not a SHA-256 digest (64 hex digits).
invalid_append = The event log refused the append.
insufficient_storage = The server's disk is full; nothing was stored. Retry later (with the same Idempotency-Key).
log_unavailable = The event log is unavailable; nothing was stored.
internal = An internal error occurred; it was logged.

## Views

view_unavailable = The view is not available right now.
view_not_caught_up = The view has not caught up with the requested position yet.
views_reopening = The read models are being reopened after their tables could not be written (a full disk?); retry shortly.
view_failed = View { $projector } stopped at log position { $position }, an event it cannot apply: { $why }
unknown_customer = The customer is not known.
unknown_rep = No rep { $rep_id } is registered.
rep_deactivated = Rep { $rep_id } is deactivated and cannot take customers.
reaction_not_found = The reaction was not found.

## Configuration

routing_rules_not_published = No routing rule set has been published yet; publish one with { $publish_with }.
extraction_dictionary_not_published = No extraction dictionary has been published yet; publish one with { $publish_with }.
nurture_template_not_published = No nurture template has been published yet; publish one with { $publish_with }.
config_version_not_newer = Config version { $proposed } is not newer than the current version { $current }.
invalid_webhook_target = The webhook target URL is not allowed ({ $reason }).
invalid_webhook_filter = The webhook filter is not valid.
from_beyond_log = Position { $from } is beyond the end of the log ({ $log_len } records).

## Values

invalid_capability_tag = Invalid capability tag.
invalid_company_name = Invalid company name.
invalid_unified_social_credit_code = Invalid unified social credit code.
invalid_phone = Invalid phone number.
invalid_email = Invalid email address.
invalid_actor_id = Invalid actor id.
invalid_attribute_key = Invalid attribute key.
invalid_attribute_value = Invalid attribute value.
invalid_region = Invalid region.
invalid_text = Invalid text.
invalid_ip_address = Invalid IP address.
invalid_rule_set = Invalid rule set.
invalid_purchase_window = Invalid purchase window.
invalid_ticket_ref = Invalid support ticket reference.
invalid_payment_ref = Invalid payment reference.
invalid_reference_ref = Invalid success reference.
invalid_plan_name = Invalid plan name.
invalid_module_name = Invalid module name.
invalid_keyword = Invalid keyword.
invalid_health_policy = Invalid health policy.
invalid_usage_report = Invalid usage report.
invalid_keyword_searches = Invalid keyword searches.
invalid_instalments = Invalid instalments.
invalid_amount = Invalid amount.
invalid_valid_until = Invalid validity date.
invalid_store_code = Invalid store code.
invalid_sku_code = Invalid SKU code.
invalid_member_ref = Invalid member reference.
invalid_pos_ticket_ref = Invalid POS ticket reference.
invalid_pos_batch_id = Invalid POS batch id.
invalid_retail_policy = Invalid retail policy.
capability_tag_count = A rep carries 3 to 5 capability tags.
too_many_attributes = A customer carries more attributes than allowed.

## Records not found

rep_not_found = Rep not found.
customer_not_found = Customer not found.
lead_not_found = Lead not found.
visit_not_found = Visit not found.
nurture_pack_not_found = Nurture pack not found.
proposal_not_found = Proposal not found.
config_not_found = Config not found.
account_not_found = Account not found.
contract_not_found = Contract not found.
process_asset_not_found = Process asset not found.
store_not_found = Store not found.
sku_not_found = SKU not found.
member_not_found = Member not found.
promotion_not_found = Promotion not found.
pos_batch_not_found = POS batch not found.
todo_not_found = To-do item { $todo_id } not found.
nurture_step_not_found = Nurture step { $step_index } does not exist.
ticket_not_found = Support ticket { $ticket_ref } not found.
callback_task_not_found = Call-back task { $task_id } not found.
rescue_plan_not_found = Rescue plan { $plan_id } not found.

## Records that exist already

rep_already_exists = Rep already exists.
customer_already_exists = Customer already exists.
lead_already_exists = Lead already exists.
visit_already_exists = Visit already exists.
nurture_pack_already_exists = Nurture pack already exists.
proposal_already_exists = Proposal already exists.
config_already_exists = Config already exists.
account_already_exists = Account already exists.
contract_already_exists = Contract already exists.
process_asset_already_exists = Process asset already exists.
store_already_exists = Store already exists.
sku_already_exists = SKU already exists.
member_already_exists = Member already exists.
promotion_already_exists = Promotion already exists.
pos_batch_already_exists = POS batch already exists.

## Customers, leads and ownership

customer_already_owned = Customer { $customer_id } is already owned by rep { $owner }.
customer_not_owned = Customer { $customer_id } has no owner.
transfer_to_current_owner = Rep { $rep_id } already owns the customer.
duplicate_record = Duplicate of an existing record.
duplicate_clearance_mismatch = The duplicate clearance does not match the record being registered.
lead_not_confirmed = The lead is not confirmed yet.
lead_already_confirmed = This lead confirmation is already recorded.
lead_already_routed = The lead is already routed to rep { $rep_id }.
no_routing_proposal = No routing has been proposed for this lead.
no_eligible_rep = No eligible rep scored at least the rule set's minimum.
rep_not_proposed = Rep { $rep_id } is not among the proposed candidates.
lead_stage_not_allowed = A lead may not move from stage { $from } to { $to }.

## Visits, to-dos and nurture

watermark_email_mismatch = Watermark email { $found } does not match the contact email { $expected }.
receipt_recipient_mismatch = Receipt recipient { $found } does not match the contact email { $expected }.
extraction_already_confirmed = The visit's extraction is already confirmed.
extraction_missing = The visit has no extraction to confirm.
todo_already_completed = To-do item { $todo_id } is already completed.
due_before_visit = Due date { $due_on } is before the visit date { $visit_on }.
occurs_in_future = The time { $occurred_at } is later than now ({ $now }).
date_in_future = The date { $date } is later than today ({ $today }).
day_not_closed_yet = Day { $day } has not closed yet.
day_out_of_order = Day { $day } is earlier than the last closed day { $last_closed } and was never closed.
day_not_next = Day { $day } cannot be closed yet: days close in order, and the first day not yet closed is { $next_day } (the last closed day is { $last_closed }).
nurture_step_already_sent = Nurture step { $step_index } was already sent.
nurture_step_not_sent = Nurture step { $step_index } has not been sent yet.
nurture_pack_closed = The nurture pack is closed.
nurture_template_empty = The nurture template has no steps.

## Accounts, renewals and payments

account_customer_mismatch = The command is for customer { $found }, this account is customer { $expected }'s.
ticket_already_recorded = Support ticket { $ticket_ref } is already recorded on this account.
ticket_already_resolved = Support ticket { $ticket_ref } is already resolved.
resolved_before_opened = Resolved at { $resolved_at }, before the ticket was opened ({ $opened_at }).
success_reference_already_recorded = Success reference { $reference_ref } is already recorded on this account.
callback_task_already_completed = Call-back task { $task_id } is already completed.
not_frozen = Renewal quoting of customer { $customer_id } is not frozen.
rescue_plan_already_submitted = Rescue plan { $plan_id } is already submitted.
rescue_plan_already_approved = Rescue plan { $plan_id } is already approved.
rescue_plan_of_earlier_freeze = Rescue plan { $plan_id } was submitted during an earlier freeze; submit a plan for the freeze in force.
renewal_quoting_frozen = Renewal quoting of customer { $customer_id } is frozen since { $since }.
quote_already_recorded = Quote { $quote_id } is already recorded.
payment_already_recorded = Payment { $payment_ref } is already recorded on this contract.
payment_exceeds_outstanding = A payment of { $amount_fen } fen exceeds the outstanding { $outstanding_fen } fen.

## Stores and retail

unknown_store = Store { $store } is not known.
unknown_sku = SKU { $sku } is not known.
promotion_without_regions = A promotion needs at least one target region.
region_without_stores = Region { $region } has no store.
promotion_dates_reversed = The promotion starts on { $starts_on }, after it ends ({ $ends_on }).
invalid_pos_batch = The POS batch has { $n_errors } bad line(s).
empty_pos_batch = A POS batch needs at least one sale line.
pos_batch_too_large = The POS batch has more lines than one batch may hold.
pos_batch_id_reused = POS batch id { $batch_id } was already used for other lines.

## Stored events (never the caller's fault)

unknown_event_type = Unknown event type.
unsupported_schema_version = Unsupported event schema version.
malformed_event_payload = A stored event could not be decoded.
event_encoding_failed = An event could not be encoded.

# audit routes (issue 15)
invalid_tree_sizes = The tree sizes are not valid: `from` must be at least 1 and at most `to`, and `to` within the log.
unknown_checkpoint = The log signed no checkpoint of this tree size.
checkpoint_mismatch = The log's checkpoint of this tree size has another root: the witness saw another log.
invalid_cosignature = The cosignature, its witness key or the root is not valid for this checkpoint.
invalid_position = The position is beyond the end of the log.

# importing a customer list (issue 16)
unsupported_sheet_format = The file is neither a .csv nor an .xlsx file.
unreadable_sheet = The file cannot be read as a spreadsheet.
sheet_without_header = The file has no header row.
no_company_name_column = No column holds the company name; name it with `map=COLUMN=company_name`.
invalid_column_mapping = A column mapping is not valid.
too_many_rows = The list has too many rows for one import; split it.
too_many_columns = A cell is beyond the last column read (IV, the 256th); delete or move what is beyond it.
too_much_text = The list's cells hold too much text for one import; split it.
missing_company_name = Line { $line } has no company name.
unknown_owner = The owner { $owner } names no registered rep (by id or display name).
ambiguous_owner = The owner { $owner } names { $count } reps; give the rep's id instead.
owner_deactivated = The owner { $owner } is a deactivated rep and cannot take customers.
duplicate_record_in_list = The same customer as line { $first }.

# a bad line of a POS batch (`errors[].detail` of invalid_pos_batch), by its code
pos_line_malformed_line = { $field ->
        [line] The line is not a POS record: { $reason }
       *[other] { $field } must be 1 to 64 of A-Z a-z 0-9 . _ : -
    }
pos_line_unknown_store = Store { $store } is not known.
pos_line_unknown_sku = SKU { $sku } is not known.
pos_line_unknown_member = Member { $member } is not known.
pos_line_invalid_qty = qty must be an integer from 1.
pos_line_invalid_amount = amount_cents must be an integer from 0 to { $max }.
pos_line_invalid_sold_at = sold_at { $sold_at } is not an RFC 3339 time with a UTC offset.
pos_line_ticket_mismatch = Ticket { $ticket } started on line { $first_line } with another store, member or sold_at.
pos_line_time_in_future = sold_at { $sold_at } is more than { $margin_secs } s ahead of the server's clock ({ $server_time }).
pos_line_ticket_too_large = Ticket { $ticket } is { $bytes } bytes as JSON; one event holds less than { $max }.
