# 命令行面向人的消息（issue 20）。与 en/cli.ftl 键完全相同（tests/i18n.rs）；
# 每个键都在 src/ 中通过 `t!` 使用。

## 命令说明（clap 的 `about` 行）
cli-about = 以不可篡改、可验证的事件日志记录销售行为
cli-about-serve = 在内嵌存储上运行 HTTP 网关，直到收到 SIGINT/SIGTERM。
cli-about-verify = 校验整个日志的哈希链；通过则退出码 0，否则退出码 1 并给出第一个出错的位置。
cli-about-key = 打印日志的验证公钥（C2SP vkey）及其指纹；签名密钥不存在时先创建。
cli-about-checkpoint = 立即为日志签一个检查点，并打印其签名注记。
cli-about-evidence = 为一个客户、线索或方案写出证据包。
cli-about-verify-bundle = 离线验证证据包（无需数据目录）。
cli-about-witness = 见证运行中网关的日志：对延续上一个已联署检查点的每个新检查点联署，拒绝其他任何检查点（docs/AUDIT.md）。
cli-about-export = 将日志导出为可移植的 JSON 行文件（docs/AUDIT.md）。
cli-about-rebuild = 在本机从导出的日志重建所有视图（同时校验哈希链）：日志在 OUT/log，视图的表在 OUT/tables（`serve --data OUT` 据此应答），每个视图的结果在 OUT/<view>.json。
cli-about-replay = 从日志折叠出某个视图在过去某个位置或时间的样子并打印；加 --weights 时，逐个客户给出另一套策略会得出的健康度等级。
cli-about-copy = 在后端之间（数据目录或 `postgres://...[?schema=NAME]`）迁移整个日志，边迁移边校验哈希链；打印两侧的链头和 Merkle 根。
cli-about-backup = 将运行中的网关备份到一个数据目录（`verify` 可校验，`serve` 可直接提供服务）：日志边传输边校验，连同附件；对同一目录再次运行即继续备份。
cli-about-init = 在网关运行前或两次运行之间，从 TOML 文件（docs/INIT.md）发布组织自己的销售代表和配置；无效文件会被拒绝并指出行号和字段（退出码 1），不追加任何记录。
cli-about-import = 离线补录历史（与 API 相同的校验和追加路径）：`import pos FILE --data DIR [--batch-lines N]`，`import customers FILE --data DIR [--map COLUMN=FIELD ...] [--dry-run]`。
cli-about-token = 管理访问令牌（`token create | list | revoke`）；`serve` 运行时也可使用，网关会在一秒内生效。
cli-about-openapi = 打印网关的 OpenAPI 文档（即 `/openapi.json` 提供的那份）。
cli-about-bench = 基准测试：输出 `name=value` 行，并在同一次运行中测量原始基线。

## 命令行报告的错误
cli-held-by-gateway = 数据目录 { $dir } 正被运行中的网关使用（pid { $pid }）；请先停止它，或改为通过 HTTP 访问
cli-held-by-another = 数据目录 { $dir } 正被另一个进程使用（运行中的网关或另一个 salesledger 命令）；请先停止它
cli-verify-give-data-or-url = 请给出 --data DIR，或 --url URL --token T --state FILE
cli-opening-log = 打开 { $dir } 中的日志

## verify --data
cli-verify-ok = 通过：{ $n } 条记录校验无误；链头哈希 { $head }
cli-verify-merkle-ok = Merkle 树：每个节点都与日志一致（{ $n } 个叶子）
cli-verify-checkpoints-ok = 检查点：{ $n } 个校验通过（签名、根、与前一个的一致性）；最新一个覆盖 { $size } 条记录，根 { $root }
cli-verify-no-checkpoints = 检查点：日志中没有
cli-verify-from-checkpoint-ok = 对照保存的检查点：通过：{ $message }
cli-verify-from-checkpoint-failed = 对照保存的检查点：失败：{ $message }
cli-verify-failed = 失败，位置 { $position }：{ $what }：{ $reason }（其前 { $n } 条记录校验无误）

## 通用
cli-no-log = { $dir } 中没有 salesledger 日志（没有 log/ 目录）
cli-creating = 创建 { $path }
cli-reading = 读取 { $path }
cli-writing = 写入 { $path }
cli-not-a-directory = { $path } 不是目录
cli-not-json = { $path } 不是 JSON
cli-loading-signing-key = 加载签名密钥
cli-opening-merkle = 打开 Merkle 树
cli-reading-log = 读取日志
cli-reading-key-file = 读取密钥文件 { $path }
cli-not-a-witness-vkey = --witness { $vkey }：不是见证人的验证公钥
cli-failed = 失败：{ $error }
cli-progress-merkle = 更新 Merkle 树
cli-progress-verifying = 校验中
cli-progress-exporting = 导出中

## key、checkpoint
cli-key-witness-absent = { $path } 不存在：请加 --name 来创建它
cli-key-give-data-or-witness = 请给出 --data DIR 或 --witness FILE
cli-key-fingerprint = 指纹：{ $fingerprint }
cli-checkpoint-no-new-records = 自位置 { $position } 的检查点以来没有新记录
cli-checkpoint-signed = 位置 { $position } 的检查点覆盖记录 0..{ $size }（树大小 { $size }），根 { $root }

## evidence、verify-bundle
cli-evidence-one-subject = --customer、--lead 和 --proposal 只能且必须给出其中一个
cli-evidence-give-data-or-url = 请给出 --data DIR（网关已停止时）或 --url URL --token T
cli-opening-subject-index = 打开主体索引
cli-closing-subject-index = 关闭主体索引
cli-evidence-wrote = 已写出 { $path }：关于 { $kind } { $id } 的 { $n } 个事件，已对照覆盖 { $size } 条记录的检查点证明（根 { $root }）；密钥指纹 { $fingerprint }
cli-bundle-ok = 通过：关于 { $kind } { $id } 的 { $n } 个事件包含在日志 { $origin } 中，树大小 { $size }（根 { $root }）
cli-bundle-positions = 位置：{ $positions }
cli-bundle-signed-by = 检查点和清单由 { $key } 签名（指纹 { $fingerprint }）
cli-bundle-key-given = 所用密钥为 --pubkey 给出的密钥
cli-bundle-key-from-bundle = 警告：密钥取自证据包本身；请将其指纹与日志运营方公布的指纹比对，或使用 --pubkey
cli-bundle-cosigned = 给出的 { $given } 个见证人中有 { $cosigned } 个已联署（要求 { $quorum } 个）：
cli-bundle-witness-at = { $witness } 联署于 { $time }（POSIX 秒）
cli-bundle-witness-invalid = { $witness }：没有有效的联署（{ $failure }）
cli-bundle-attachment-included = 附件 { $sha256 }：文件已包含且一致
cli-bundle-attachment-committed = 附件 { $sha256 }：哈希已承诺（文件未包含）
cli-bundle-timeline = 时间线：

## export
cli-export-wrote-parquet = 已写出 { $path }：{ $n } 条记录，共 { $files } 个 Parquet 文件，链头哈希 { $head }
cli-export-wrote = 已写出 { $path }：{ $n } 条记录，链头哈希 { $head }

## verify --from-checkpoint
cli-reading-checkpoint = 读取检查点 { $path }
cli-json-has-no-note = 该 JSON 文档没有 "note" 字段
cli-extends-no-key = 数据目录中没有可用来核对所保存检查点的签名密钥
cli-extends-log-fails = 日志本身未通过校验
cli-extends-ok = 日志延续了所保存的检查点：其前 { $old_size } 条记录（根 { $old_root }）在当前 { $new_size } 条中（根 { $new_root }）未被改动
cli-extends-not = 日志没有延续所保存的检查点：{ $error }
cli-creating-failed = 创建 { $path } 失败：{ $error }

## token
cli-token-created = 已在 { $path } 中创建令牌 { $name }（角色 { $role }）；令牌只显示这一次：
cli-token-no-file = { $path } 不存在（还没有任何令牌）
cli-token-already-revoked = 令牌 { $name } 此前已被吊销
cli-token-revoked = 已吊销令牌 { $name }
cli-token-none = （没有令牌）
cli-token-column-name = 名称
cli-token-column-role = 角色
cli-token-column-rep-id = 销售代表
cli-token-column-region = 大区
cli-token-column-created = 创建时间
cli-token-column-expires = 过期时间
cli-token-column-last-used = 最近使用
cli-token-column-status = 状态
cli-tokens-io = { $what } { $path } 失败：{ $source }
cli-tokens-io-create-dir = 创建所在目录
cli-tokens-io-open = 打开
cli-tokens-io-lock = 锁定
cli-tokens-io-read = 读取
cli-tokens-io-create = 创建
cli-tokens-io-write = 写入
cli-tokens-io-sync = 同步
cli-tokens-io-restrict = 收紧权限
cli-tokens-io-replace = 替换
cli-tokens-parse = { $path } 不是有效的令牌文件：{ $message }
cli-tokens-newer-version = { $path } 是令牌文件第 { $version } 版，由更新的 salesledger 写入；本程序最多读取第 { $supported } 版
cli-tokens-invalid = 令牌的 { $field } 无效：{ $message }
cli-tokens-name-taken = 已有一个有效令牌名为 { $name }；请先吊销它，或换一个名称
cli-tokens-not-found = 没有名为 { $name } 的令牌

## copy
cli-copy-copied = 已从 { $from } 复制 { $n } 条记录到 { $to }
cli-copy-source = 源
cli-copy-destination = 目标
cli-copy-identical = 一致：链头和 Merkle 根相同
cli-copy-different = 不一致：副本与源不符
cli-copy-same-log = 源和目标是同一个日志
cli-copy-same-directory = 源和目标是同一个目录
cli-copy-opening-source = 打开源 { $store }
cli-copy-opening-destination = 打开目标 { $store }
cli-copy-destination-not-empty = 目标不是空的（{ $n } 条记录）：只能复制到空日志中
cli-progress-copying = 复制中
cli-copy-reading-source = 从位置 { $position } 读取源
cli-copy-source-missing = 源在位置 { $position } 没有记录，而其链头为 { $head }
cli-copy-source-bad = 源在位置 { $position } 未通过校验：{ $reason }
cli-copy-writing-destination = 从位置 { $position } 写入目标
cli-copy-source-head-mismatch = 源的记录结束处的哈希与其链头不符
cli-progress-verifying-copy = 校验副本
cli-copy-record-missing = 记录 { $position } 缺失，而链头为 { $head }
cli-copy-log-bad = 日志在位置 { $position } 未通过校验：{ $reason }
cli-copy-log-head-mismatch = 日志的记录结束处的哈希与其链头不符

## init
cli-init-unchanged = { $stream }：未改变
cli-init-kept = { $stream }：文件中没有；保留已发布的版本
cli-init-published-version = { $stream }：已由 { $actor } 发布第 { $version } 版
cli-init-published = { $stream }：已由 { $actor } 发布
cli-init-rep-region-kept = 销售代表 { $rep_id }（{ $name }）：登记在大区 { $registered }，文件中为 { $file }；销售代表的大区不会改变
cli-init-rep-unchanged = 销售代表 { $rep_id }（{ $name }）：未改变
cli-init-rep-registered = 销售代表 { $rep_id }（{ $name }，{ $region }）：已登记
cli-init-rep-tags-changed = 销售代表 { $rep_id }（{ $name }，{ $region }）：能力标签已更改
cli-init-refused = { $path }：第 { $line } 行，第 { $column } 列，字段 `{ $field }`：{ $message }
cli-init-publishing = 发布组织文件
cli-init-publishing-first-start = 发布首次启动的配置
cli-init-first-start = 首次启动：默认配置已由 { $actor } 发布（{ $streams }）；见 GET /v1/config

## import
cli-opening = 打开 { $path }
cli-progress-rows = 行
cli-progress-pos-lines = 导入 POS 行
cli-import-column = 列 { $column }：{ $field }
cli-import-row-refused = 第 { $line } 行：{ $company }（{ $code }）：{ $reason }
cli-import-customers-dry-run = 共 { $rows } 行：将登记 { $registered }，此前已导入 { $already }，分配归属 { $owners }，拒绝 { $refused }（试运行：未追加任何记录）
cli-import-customers-done = 共 { $rows } 行：已登记 { $registered }，此前已导入 { $already }，分配归属 { $owners }，拒绝 { $refused }
cli-import-pos-no-log = { $dir } 中没有日志；须先录入门店、SKU 和会员
cli-import-pos-done = 已导入 { $lines } 行，共 { $batches } 批（其中 { $replayed } 批此前已导入），追加 { $events } 个事件
cli-import-pos-kept = 之前的 { $batches } 批（第 1 至 { $last } 行）已保留
cli-import-pos-bad-lines = 导入在第 { $index } 批（第 { $first } 至 { $last } 行）停止：{ $n } 行有误，本批未追加任何记录；{ $kept }
cli-import-pos-bad-line = 第 { $line } 行：{ $code }：{ $detail }
cli-import-pos-batch-reused = 批次 { $batch_id }（第 { $first } 至 { $last } 行）此前已以不同的行录入；{ $kept }
cli-import-pos-stopped = 导入在第 { $index } 批（第 { $first } 至 { $last } 行）停止：{ $error }；{ $kept }

## rebuild、replay
cli-rebuild-not-empty = { $path } 不是空目录：rebuild 需要一个全新的目录（或用 --force 替换其中先前的重建结果）
cli-progress-rebuilding = 重建视图
cli-progress-writing-tables = 写出数据表
cli-rebuild-wrote-parquet = 已写出 { $path }：{ $tables } 张表（{ $files } 个 Parquet 文件，{ $rows } 行）及 tables.json
cli-removing = 删除 { $path }
cli-tables-undescribed = { $projector } 的数据表 { $table } 没有可写成 Parquet 的行类型（src/analytics/tables.rs）
cli-tables-row = 数据表 { $table }：某行无法放入列
cli-tables-duplicate-column = 数据表 { $table }：同一行中有两个名为 { $column } 的单元格
cli-tables-read = 数据表 { $table }：读取行失败
cli-tables-parquet = 数据表 { $table }：写出 Parquet 失败
cli-progress-importing = 导入中
cli-rebuild-imported = 已导入 { $n } 条记录，哈希链校验无误；链头哈希 { $head }
cli-fold-view-stopped = 视图 { $view } 在日志位置 { $position } 停止：{ $reason }
cli-fold-timeout = 视图未能在 { $timeout } 内追上日志
cli-replay-no-view = 没有名为 { $view } 的视图；可用视图：{ $views }
cli-replay-weights-health-only = --weights 只适用于 health 视图，不适用于 { $view }
cli-replay-not-a-policy = { $path } 不是健康度策略
cli-replay-invalid-policy = { $path } 不是有效的健康度策略
cli-creating-scratch = 创建临时目录
cli-progress-replaying = 回放中
cli-progress-what-if = 假设分析

## verify --url、evidence --url
cli-ok = 通过：{ $message }
cli-replacing = 替换 { $path }
cli-reading-token-file = 读取令牌文件 { $path }
cli-building-http-client = 创建 HTTP 客户端
cli-reading-answer = 读取 GET { $url } 的应答
cli-get-failed = GET { $url }：{ $status }：{ $body }
cli-reading-state-file = 读取状态文件 { $path }
cli-not-a-state-file = { $path } 不是 verify 状态文件
cli-state-format = { $path }：格式为 { $format }，应为 { $expected }
cli-quorum-unmeetable = { $n } 个 --witness 密钥无法满足 --witness-quorum { $quorum }
cli-checkpoint-not-json = 检查点应答不是 JSON
cli-pubkey-differs = --pubkey { $given } 与 { $path } 中保存的密钥不同：{ $saved }
cli-log-verifier-key = 日志的验证公钥
cli-remote-tofu = 警告：首次使用，信任网关出示的密钥：{ $vkey }（指纹 { $fingerprint }）；请与运营方公布的密钥比对，或使用 --pubkey
cli-remote-not-signed = 网关给出的检查点不是由日志的密钥签名的：{ $error }
cli-remote-other-origin = 网关给出的检查点属于来源 { $origin }，而日志的密钥是 { $key }
cli-remote-first-state = 最新检查点由日志的密钥签名：{ $size } 条记录，根 { $root }；已保存为首个状态
cli-remote-cosigned = ；给出的 { $given } 个见证人中有 { $cosigned } 个已联署（要求 { $quorum } 个）
cli-remote-quorum-missed = 最新检查点只有给出的 { $given } 个见证人中的 { $cosigned } 个联署，要求 { $quorum } 个（请运行见证人，或查明哪个见证人看到了另一份日志）
cli-remote-key = 密钥 { $key }（指纹 { $fingerprint }）
cli-remote-state-saved = 状态已保存到 { $path }
cli-remote-saved-head = 保存的树头：大小 { $size }，根 { $root }
cli-remote-served-head = 网关的树头：大小 { $size }，根 { $root }
cli-remote-state-unchanged = 状态文件 { $path } 未改动
cli-state-root-not-hex = 状态文件中的根不是 64 位十六进制数
cli-remote-shrank = 日志变短了：保存的检查点覆盖 { $saved } 条记录，网关给出的只有 { $served } 条（记录被删除或日志被替换）
cli-remote-rewritten = 日志被改写：大小同为 { $size }，根却不同（分叉）
cli-consistency-not-json = 一致性证明的应答不是 JSON
cli-remote-other-sizes = 网关证明的树大小与请求的不同
cli-remote-proof-not-hex = 一致性证明中有一个哈希不是 64 位十六进制数
cli-remote-not-extended = 日志没有延续所保存的检查点（被改写或分叉）：{ $error }
cli-url-needs-token = --url 需要 --token
cli-remote-bundle-fails = 失败：下载的证据包未通过验证：{ $error }
cli-remote-bundle-own-key = 警告：仅用证据包自带的密钥验证（指纹 { $fingerprint }）；请使用 --pubkey 或 --state
cli-remote-evidence-wrote = 已写出 { $path }：关于 { $kind } { $id } 的 { $n } 个事件，已对照覆盖 { $size } 条记录的检查点验证（根 { $root }）；密钥指纹 { $fingerprint }

## witness
cli-syncing = 同步 { $path }
cli-post-failed = POST { $url }：{ $status }：{ $body }
cli-witness-reading-key = 读取见证人密钥 { $path }
cli-witness-not-a-key = { $path } 不是见证人密钥
cli-witness-no-randomness = 无法为见证人密钥获取随机数
cli-witness-name = 见证人名称
cli-witness-reading-state = 读取见证人状态 { $path }
cli-witness-not-a-state = { $path } 不是见证人状态文件
cli-witness-refused = 拒绝：{ $message }
cli-witness-nothing-cosigned = 没有联署任何检查点；状态文件 { $path } 未改动
cli-witness-note-no-body = 网关给出的注记没有正文
cli-witness-served-checkpoint = 网关给出的检查点
cli-witness-key-differs = --log-vkey { $given } 与 { $path } 中为 { $origin } 固定的密钥不同：{ $pinned }
cli-witness-gateway-key = 网关的验证公钥
cli-witness-tofu = 警告：首次使用，为 { $origin } 固定网关出示的密钥：{ $vkey }（指纹 { $fingerprint }）；请与运营方公布的密钥比对，或使用 --log-vkey
cli-witness-head = 大小 { $size }，根 { $root }
cli-witness-not-signed = 网关给出的检查点不是由日志的密钥 { $key } 签名的：{ $error }
cli-witness-other-origin = 检查点的来源 { $origin } 不是日志密钥的名称 { $name }
cli-witness-nothing-new = 没有新内容：{ $origin } 仍在 { $head }，此前已联署（已再次提交）
cli-witness-cosigned-head = 已联署的树头：{ $head }
cli-witness-served-head = 网关的树头：  { $head }
cli-witness-cosigning = 联署检查点
cli-witness-cosigned-extends = 已联署 { $origin }，{ $head }：它延续了此前联署的 { $previous } 条记录（一致性证明已验证）
cli-witness-cosigned-first = 已联署 { $origin }，{ $head }（该日志的首个检查点）

## backup
cli-backup-done = 已从 { $url } 备份 { $added } 条新记录到 { $path }（之前 { $before } 条，现在 { $now } 条）
cli-backup-summary = 备份：records={ $records } head_hash={ $head } merkle_root={ $root }
cli-backup-blobs = 附件：引用 { $referenced } 个，全部在位；本次下载 { $fetched } 个（{ $bytes } 字节）
cli-backup-not-included = 备份中不包含：
cli-backup-caveat-key = 检查点签名密钥（DATA/audit/signing.key）不在日志中：请另行复制，才能继续用已公布的密钥签名；没有它时，在备份上运行的 `serve` 会用新密钥签新检查点（日志中旧的检查点仍可用已公布的密钥验证）
cli-backup-caveat-tokens = 令牌文件（DATA/tokens.json）不在日志中：在备份上运行的 `serve` 首次启动时会创建新的管理员令牌，或另行复制令牌文件
cli-backup-caveat-webhooks = Webhook 订阅及其密钥、幂等键都不在日志中：请重新创建订阅；备份前已确认的请求若被重试，会再次追加
cli-backup-refused-401 = { $what }：网关应答 { $status }：令牌缺失、未知或已被吊销：{ $why }
cli-backup-refused-403 = { $what }：网关应答 { $status }：该令牌的角色无权读取整个日志（请用审计员或主管的令牌）：{ $why }
cli-backup-refused = { $what }：网关应答 { $status }：{ $why }
cli-backup-not-a-backup = { $path } 不是空目录，也没有 salesledger 日志：不是备份；请给出一个空目录或新目录
cli-backup-opening-log = 打开 { $path } 中备份的日志
cli-backup-opening-blobs = 打开 { $path } 中备份的附件
cli-backup-position = 位置 { $position }：{ $reason }
cli-backup-payload = 位置 { $position }：负载
cli-backup-gateway-shorter = 网关的日志比本备份短（备份有 { $records } 条记录，链头哈希 { $head }）：网关日志被回滚或替换，或者 { $path } 备份的是另一个日志；未写入任何内容（{ $error }）
cli-progress-backup-check = 检查已有备份
cli-backup-reading = 从位置 { $position } 读取备份
cli-backup-record-missing = 备份缺少记录 { $position }，而其链头为 { $head }
cli-backup-does-not-verify = { $path } 中的备份未通过校验
cli-backup-head-mismatch = 备份的记录结束处的哈希与其链头不符
cli-backup-reading-export = 读取导出流
cli-backup-no-header = 导出流在头部之前就结束了
cli-backup-first-line-not-header = 导出流的第一行不是头部
cli-backup-export-format = 导出格式为 { $format }，应为 { $expected }
cli-backup-header-no-from = 导出头部在位置 0 之后没有给出 `from` 和 `prev_hash`
cli-backup-other-from = 网关从位置 { $from } 开始导出，而不是 { $expected }
cli-backup-not-extended = 网关的日志没有延续本备份：在位置 { $position }，备份中记录的哈希为 { $ours }，网关日志中的却是 { $theirs }（其日志被改写或分叉，或者 { $path } 备份的是另一个日志）；未写入任何内容
cli-progress-backing-up = 备份中
cli-backup-too-many = 导出流中的记录多于其头部声明的 { $records } 条
cli-backup-line-not-utf8 = 导出流第 { $line } 行不是 UTF-8
cli-backup-gateway-export = 网关的导出流
cli-backup-export-does-not-verify = 网关的导出流未通过校验
cli-backup-export-short = 导出流在 { $got } 条记录后结束；其头部声明 { $announced } 条（备份保存了已校验的 { $held } 条；请再运行一次）
cli-backup-export-head-mismatch = 导出流的最后一条记录不是其头部所指的链头
cli-backup-end-mismatch = 备份日志的结尾与导出流的结尾不一致
cli-backup-writing = 从位置 { $position } 写入备份
cli-backup-fetching-blob = 下载附件 { $hash }（GET { $url }）
cli-backup-reading-blob = 读取附件 { $hash }
cli-backup-blob-mismatch = 网关提供的附件 { $hash } 内容哈希为 { $actual }
cli-backup-storing-blob = 保存附件 { $hash }

## 二级命令说明
cli-about-token-create = 创建一个令牌并只打印这一次（只保存其 SHA-256 摘要）。
cli-about-token-list = 列出令牌：名称、角色、销售代表、大区、创建时间、过期时间、最近使用、状态；从不显示密钥。
cli-about-token-revoke = 按名称吊销令牌（之后使用它会得到 401 `token_revoked`）。
cli-about-import-pos = POS 销售行（NDJSON，即 `POST /v1/pos/sales` 的请求体格式）。
cli-about-import-customers = 已有的客户名单（`.csv` 或 `.xlsx`，首行为表头）：每行都经与 `POST /v1/customers` 相同的路径和撞单检查登记，某列给出销售代表时分配归属；每个被拒绝的行都会连同行号报告；可重复执行。
