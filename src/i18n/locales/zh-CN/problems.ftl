# 接口错误信息（problem 的 title 与 detail），简体中文（issue 20）。
#
# 每个稳定的错误代码 `code` 一条（detail），每个 HTTP 状态一条（title）。
# 键必须与 en/problems.ftl 完全一致（tests/i18n.rs 检查）。
# 变量来自错误的结构化字段。

## 标题（按状态码）

status-400 = 请求有误
status-401 = 未认证
status-403 = 无权操作
status-404 = 未找到
status-405 = 不支持该方法
status-409 = 冲突
status-413 = 内容过大
status-415 = 不支持的内容类型
status-422 = 请求无法处理
status-500 = 内部错误
status-503 = 服务暂不可用
status-507 = 存储空间不足
# 变量未给全时使用。
generic-detail = 请求未能完成（错误代码 { $code }）。

## 认证与授权

unauthenticated = 需要有效的 `Authorization: Bearer <令牌>` 请求头。
token_expired = 该令牌已过期，请向主管申请新令牌。
token_revoked = 该令牌已被吊销，请向主管申请新令牌。
invalid_token = 令牌无效。
tokens_fixed = 令牌文件由命令行管理，不能通过 HTTP 修改令牌。
token_name_taken = 已有同名令牌。
forbidden = 当前角色无权执行此操作。
not_customer_owner = 销售只能操作自己负责的客户。
not_visit_rep = 销售 { $rep_id } 不是此次拜访的负责销售（{ $visit_rep_id }）。
not_own_rep = 销售只能以本人身份操作。
rep_identity_unknown = 该令牌未关联任何销售。
evidence_needs_the_designated_signer = 证据包需要指定签名人的密钥，本网关未持有该密钥。

## 请求

unknown_route = 没有这个接口路径。
method_not_allowed = 该接口不支持此请求方法。
unsupported_media_type = 请求体必须是 `application/json`。
body_too_large = 请求体超过网关允许的大小。
unreadable_body = 无法读取请求体。
malformed_body = 请求体不是预期结构的合法 JSON（位置：{ $path }）。
malformed_json = 请求体不是合法的 JSON（位置：{ $path }）。
unknown_field = 请求体含有该接口不认识的字段（位置：{ $path }）。
wrong_type = 请求体中的值类型不对（位置：{ $path }）。
missing_field = 请求体缺少必填字段（位置：{ $path }）。
invalid_body = 无法解析请求体（位置：{ $path }）。
invalid_query = 查询参数对该接口无效。
invalid_header = 请求头无效。
invalid_path_parameter = 路径参数无效。
invalid_cursor = 分页游标无效。
invalid_date_range = 日期范围无效。
invalid_period = 期间无效。
invalid_last_event_id = `Last-Event-ID` 不是有效的事件位置。
invalid_idempotency_key = `Idempotency-Key` 请求头无效。
idempotency_key_reused = 该 `Idempotency-Key` 已用于另一个不同的请求。
invalid_batch_size = 批量大小超出范围。
missing_batch_id = 请求缺少 `batch_id`。
not_found = 未找到。
time_in_future = { $field } 晚于服务器时间（{ $server_time }）加 { $margin_secs } 秒的允许范围。
contention = 该记录同时写入过多，请重试。

## 文件与存储

blob_not_found = 文件不存在。
blob_not_uploaded = 引用的文件尚未上传。
blob_too_large = 文件过大。
empty_blob = 文件为空。
invalid_sha256 = 不是 SHA-256 摘要（应为 64 位十六进制）。
invalid_append = 事件日志拒绝了本次写入。
insufficient_storage = 服务器磁盘已满，未保存任何内容。请稍后用同一个 Idempotency-Key 重试。
log_unavailable = 事件日志暂不可用，未保存任何内容。
internal = 发生内部错误，已记录日志。

## 视图

view_unavailable = 该视图暂不可用。
view_not_caught_up = 视图尚未追上所请求的位置。
views_reopening = 读模型的表无法写入（磁盘已满？），正在重新打开；请稍后重试。
view_failed = 视图 { $projector } 在日志位置 { $position } 停止，无法应用该处的事件：{ $why }
unknown_customer = 未知客户。
unknown_rep = 没有已登记的销售 { $rep_id }。
rep_deactivated = 销售 { $rep_id } 已停用，不能接手客户。
reaction_not_found = 未找到该处理记录。

## 配置

routing_rules_not_published = 尚未发布分配规则，请用 { $publish_with } 发布。
extraction_dictionary_not_published = 尚未发布提取词典，请用 { $publish_with } 发布。
nurture_template_not_published = 尚未发布培育模板，请用 { $publish_with } 发布。
config_version_not_newer = 配置版本 { $proposed } 不比当前版本 { $current } 新。
invalid_webhook_target = 不允许的 Webhook 目标地址（{ $reason ->
        [scheme] 只支持 http 和 https
        [private_address] 指向本机、内网或保留地址
        [unresolvable] 主机名无法解析
       *[other] 不是有效的 URL
    }）。
invalid_webhook_filter = Webhook 过滤条件无效。
from_beyond_log = 位置 { $from } 超出了事件日志的末尾（共 { $log_len } 条记录）。

## 字段值

invalid_capability_tag = 能力标签无效。
invalid_company_name = 公司名称无效。
invalid_unified_social_credit_code = 统一社会信用代码无效。
invalid_phone = 电话号码无效。
invalid_email = 电子邮箱无效。
invalid_actor_id = 操作人标识无效。
invalid_attribute_key = 属性名无效。
invalid_attribute_value = 属性值无效。
invalid_region = 区域无效。
invalid_text = 文本无效。
invalid_ip_address = IP 地址无效。
invalid_rule_set = 规则集无效。
invalid_purchase_window = 采购时间窗无效。
invalid_ticket_ref = 工单编号无效。
invalid_payment_ref = 付款编号无效。
invalid_reference_ref = 成功案例编号无效。
invalid_plan_name = 套餐名称无效。
invalid_module_name = 模块名称无效。
invalid_keyword = 关键词无效。
invalid_health_policy = 健康度策略无效。
invalid_usage_report = 使用情况报告无效。
invalid_keyword_searches = 关键词搜索数据无效。
invalid_instalments = 分期安排无效。
invalid_amount = 金额无效。
invalid_valid_until = 有效期无效。
invalid_store_code = 门店编码无效。
invalid_sku_code = SKU 编码无效。
invalid_member_ref = 会员编号无效。
invalid_pos_ticket_ref = POS 小票号无效。
invalid_pos_batch_id = POS 批次号无效。
invalid_retail_policy = 零售策略无效。
capability_tag_count = 每名销售需有 3 至 5 个能力标签。
too_many_attributes = 客户属性数量超过上限。

## 记录不存在

rep_not_found = 未找到该销售。
customer_not_found = 未找到该客户。
lead_not_found = 未找到该线索。
visit_not_found = 未找到该拜访。
nurture_pack_not_found = 未找到该培育包。
proposal_not_found = 未找到该方案。
config_not_found = 未找到该配置。
account_not_found = 未找到该客户账户。
contract_not_found = 未找到该合同。
process_asset_not_found = 未找到该过程资料。
store_not_found = 未找到该门店。
sku_not_found = 未找到该 SKU。
member_not_found = 未找到该会员。
promotion_not_found = 未找到该促销活动。
pos_batch_not_found = 未找到该 POS 批次。
todo_not_found = 未找到待办事项 { $todo_id }。
nurture_step_not_found = 培育步骤 { $step_index } 不存在。
ticket_not_found = 未找到工单 { $ticket_ref }。
callback_task_not_found = 未找到回访任务 { $task_id }。
rescue_plan_not_found = 未找到挽救方案 { $plan_id }。

## 记录已存在

rep_already_exists = 该销售已存在。
customer_already_exists = 该客户已存在。
lead_already_exists = 该线索已存在。
visit_already_exists = 该拜访已存在。
nurture_pack_already_exists = 该培育包已存在。
proposal_already_exists = 该方案已存在。
config_already_exists = 该配置已存在。
account_already_exists = 该客户账户已存在。
contract_already_exists = 该合同已存在。
process_asset_already_exists = 该过程资料已存在。
store_already_exists = 该门店已存在。
sku_already_exists = 该 SKU 已存在。
member_already_exists = 该会员已存在。
promotion_already_exists = 该促销活动已存在。
pos_batch_already_exists = 该 POS 批次已存在。

## 客户、线索与归属

customer_already_owned = 客户 { $customer_id } 已归属销售 { $owner }（撞单）。
customer_not_owned = 客户 { $customer_id } 没有负责人。
transfer_to_current_owner = 销售 { $rep_id } 已是该客户的负责人。
duplicate_record = 与已有记录重复（撞单）。
duplicate_clearance_mismatch = 查重放行凭证与正在登记的记录不符。
lead_not_confirmed = 该线索尚未确认。
lead_already_confirmed = 该线索的这项确认已记录。
lead_already_routed = 该线索已分配给销售 { $rep_id }。
no_routing_proposal = 该线索尚无分配建议。
no_eligible_rep = 没有销售的得分达到规则集的最低分。
rep_not_proposed = 销售 { $rep_id } 不在建议的候选人之中。
lead_stage_not_allowed = 线索不能从阶段 { $from } 转到 { $to }。

## 拜访、待办与培育

watermark_email_mismatch = 水印邮箱 { $found } 与联系人邮箱 { $expected } 不一致。
receipt_recipient_mismatch = 回执收件人 { $found } 与联系人邮箱 { $expected } 不一致。
extraction_already_confirmed = 该拜访的提取结果已确认。
extraction_missing = 该拜访没有待确认的提取结果。
todo_already_completed = 待办事项 { $todo_id } 已完成。
due_before_visit = 截止日期 { $due_on } 早于拜访日期 { $visit_on }。
occurs_in_future = 时间 { $occurred_at } 晚于当前时间（{ $now }）。
date_in_future = 日期 { $date } 晚于今天（{ $today }）。
day_not_closed_yet = { $day } 尚未日结。
day_out_of_order = { $day } 早于最近日结日 { $last_closed }，且从未日结。
day_not_next = { $day } 暂不能日结：须按日依次日结，第一个尚未日结的日期是 { $next_day }（最近日结日为 { $last_closed }）。
nurture_step_already_sent = 培育步骤 { $step_index } 已发送。
nurture_step_not_sent = 培育步骤 { $step_index } 尚未发送。
nurture_pack_closed = 该培育包已关闭。
nurture_template_empty = 培育模板没有任何步骤。

## 客户账户、续约与回款

account_customer_mismatch = 该指令针对客户 { $found }，而此账户属于客户 { $expected }。
ticket_already_recorded = 工单 { $ticket_ref } 已记录在此账户上。
ticket_already_resolved = 工单 { $ticket_ref } 已解决。
resolved_before_opened = 解决时间 { $resolved_at } 早于工单创建时间（{ $opened_at }）。
success_reference_already_recorded = 成功案例 { $reference_ref } 已记录在此账户上。
callback_task_already_completed = 回访任务 { $task_id } 已完成。
not_frozen = 客户 { $customer_id } 的续约报价未被冻结。
rescue_plan_already_submitted = 挽救方案 { $plan_id } 已提交。
rescue_plan_already_approved = 挽救方案 { $plan_id } 已批准。
rescue_plan_of_earlier_freeze = 挽救方案 { $plan_id } 是在之前的冻结期间提交的；请为当前的冻结提交新的挽救方案。
renewal_quoting_frozen = 客户 { $customer_id } 的续约报价自 { $since } 起已冻结。
quote_already_recorded = 报价 { $quote_id } 已记录。
payment_already_recorded = 付款 { $payment_ref } 已记录在此合同上。
payment_exceeds_outstanding = 付款金额 { $amount_fen } 分超过未收余额 { $outstanding_fen } 分。

## 门店与零售

unknown_store = 门店 { $store } 不存在。
unknown_sku = SKU { $sku } 不存在。
promotion_without_regions = 促销活动至少需要一个目标区域。
region_without_stores = 区域 { $region } 没有门店。
promotion_dates_reversed = 促销开始日期 { $starts_on } 晚于结束日期（{ $ends_on }）。
invalid_pos_batch = 该 POS 批次有 { $n_errors } 行有误。
empty_pos_batch = POS 批次至少需要一行销售记录。
pos_batch_too_large = 该 POS 批次的行数超过单批上限。
pos_batch_id_reused = POS 批次号 { $batch_id } 已用于其他销售行。

## 已存储的事件（绝非调用方的错）

unknown_event_type = 未知的事件类型。
unsupported_schema_version = 不支持的事件结构版本。
malformed_event_payload = 无法解码已存储的事件。
event_encoding_failed = 无法编码事件。

# 审计接口（issue 15）
invalid_tree_sizes = 树大小无效：`from` 至少为 1 且不大于 `to`，`to` 不能超出日志长度。
unknown_checkpoint = 日志没有签署过该树大小的检查点。
checkpoint_mismatch = 日志在该树大小的检查点根哈希不同：见证者看到的是另一份日志。
invalid_cosignature = 联署签名、见证者公钥或根哈希对该检查点无效。
invalid_position = 该位置超出了日志末尾。

# 导入客户清单（issue 16）
unsupported_sheet_format = 文件既不是 .csv 也不是 .xlsx。
unreadable_sheet = 无法将该文件读取为表格。
sheet_without_header = 文件没有表头行。
no_company_name_column = 没有任何一列是公司名称；请用 `map=列名=company_name` 指定。
invalid_column_mapping = 列映射无效。
too_many_rows = 清单行数过多，无法一次导入；请拆分后再导入。
too_many_columns = 有单元格超出了读取的最后一列（IV，第 256 列）；请删除或移走超出的内容。
too_much_text = 清单单元格中的文本过多，无法一次导入；请拆分后再导入。
missing_company_name = 第 { $line } 行没有公司名称。
unknown_owner = 负责人 { $owner } 不是已登记的销售（按编号或姓名均未找到）。
ambiguous_owner = 负责人 { $owner } 对应 { $count } 名销售；请改填销售编号。
owner_deactivated = 负责人 { $owner } 是已停用的销售，不能接手客户。
duplicate_record_in_list = 与第 { $first } 行是同一客户。

# POS 批次中的错误行（invalid_pos_batch 的 `errors[].detail`），按错误代码
pos_line_malformed_line = { $field ->
        [line] 该行不是有效的 POS 记录：{ $reason }
       *[other] { $field } 须为 1 至 64 个字符（A-Z a-z 0-9 . _ : -）
    }
pos_line_unknown_store = 门店 { $store } 不存在。
pos_line_unknown_sku = SKU { $sku } 不存在。
pos_line_unknown_member = 会员 { $member } 不存在。
pos_line_invalid_qty = qty 须为不小于 1 的整数。
pos_line_invalid_amount = amount_cents 须为 0 至 { $max } 之间的整数。
pos_line_invalid_sold_at = sold_at { $sold_at } 不是带时区偏移的 RFC 3339 时间。
pos_line_ticket_mismatch = 小票 { $ticket } 从第 { $first_line } 行开始时的门店、会员或 sold_at 与本行不同。
pos_line_time_in_future = sold_at { $sold_at } 比服务器时钟（{ $server_time }）超前 { $margin_secs } 秒以上。
pos_line_ticket_too_large = 小票 { $ticket } 的 JSON 为 { $bytes } 字节；一个事件只能容纳不到 { $max } 字节。
