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
cli-verify-checkpoint-signer = 签名公钥 { $key }（指纹 { $fingerprint }）：{ $n } 个检查点，位置 { $first } 至 { $last }{ $mark ->
    [published] ，是 --pubkey 给出的公钥
    [directory] ，是本数据目录的签名密钥
   *[other] {""}
}
cli-verify-keys-carried = 警告：每个检查点都用它自带的公钥校验，这只证明它完好，不证明由谁签名；请用 --pubkey 给出日志公布的公钥（即 `salesledger key` 打印的）以要求由它签名
cli-evidence-state-missing = { $path } 不存在：`evidence --state` 读取 `verify --url --state` 写下的状态文件（请先运行它，或给出 --pubkey）
cli-verify-url-one-pubkey = --url 只接受一个 --pubkey（网关当前用来签名的公钥）
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
cli-err-bundle-failure = { $location }：{ $reason }
cli-err-subject-customer = 客户
cli-err-subject-lead = 线索
cli-err-subject-proposal = 方案
cli-err-at-bundle = 证据包
cli-err-at-key = 密钥
cli-err-at-checkpoint = 检查点
cli-err-at-manifest = 清单
cli-err-at-event = 第 { $index } 号事件（位置 { $position }）
cli-err-at-stream = 事件流 { $stream }
cli-err-at-attachments = 附件列表
cli-err-at-attachment = 附件 { $sha256 }
cli-err-at-schema-versions = 载荷模式版本
cli-err-at-timeline = 时间线
cli-err-at-witnesses = 见证人
cli-err-bundle-not-json = 不是 JSON 文档：{ $detail }
cli-err-bundle-not-a-bundle = 不是证据包：{ $detail }
cli-err-bundle-unknown-format = 格式 { $format } 无法识别，应为 { $format_v3 }、{ $format_v2 } 或 { $format_v1 }
cli-err-bundle-unknown-subject-kind = 未知的主体类型 { $kind }
cli-err-bundle-bundle-key-malformed = 证据包中的验证密钥无法使用：{ $detail }
cli-err-bundle-given-key-malformed = 给出的密钥无法使用：{ $detail }
cli-err-bundle-key-differs = 证据包指明的密钥是 { $bundle_key }，而给出的密钥是 { $given_key }
cli-err-bundle-fingerprint-mismatch = 指纹与密钥不符
cli-err-bundle-origin-not-key-name = 日志来源与密钥名称不一致
cli-err-bundle-signature = 签名无效：{ $detail }
cli-err-bundle-checkpoint-body = { $detail }
cli-err-bundle-checkpoint-other-origin = 签名针对的是另一个日志来源
cli-err-bundle-checkpoint-differs = 树大小或根与签名内容不一致
cli-err-bundle-checkpoint-inside-tree = 检查点记录本身的位置落在它所覆盖的树之内
cli-err-bundle-manifest-line-differs = 签名清单第 { $line } 行为 { $signed }，而证据包给出的是 { $bundle }（有事件被删除、添加、调换顺序或改动）
cli-err-bundle-manifest-length = 签名清单有 { $signed } 行，证据包有 { $bundle } 行（有事件被删除或添加）
cli-err-bundle-position-order = 事件没有按位置递增排列
cli-err-bundle-canonical-not-base64 = 规范字节不是 Base64 编码
cli-err-bundle-leaf-hash-mismatch = 叶子哈希不等于 SHA-256(0x00 || 规范字节)
cli-err-bundle-record-hash-mismatch = 记录哈希不等于 SHA-256(规范字节)
cli-err-bundle-undecodable = 规范字节无法解码：位置 { $position } 的记录已损坏：{ $detail }
cli-err-bundle-position-mismatch = 规范字节是位置 { $found } 的记录
cli-err-bundle-payload-not-json = 载荷不是 JSON：{ $detail }
cli-err-bundle-view-differs = 可读记录与规范字节不一致
cli-err-bundle-out-of-scope = 与{ $kind } { $id } 无关
cli-err-bundle-inclusion-proof = 包含证明无效：{ $detail }
cli-err-bundle-stream-version-missing = 缺少版本 { $expected }（实为 { $found }）
cli-err-bundle-policy-version-missing = 版本 { $before } 与 { $after } 之间缺少版本 { $missing }
cli-err-bundle-attachments-payload = 载荷无法读取：{ $detail }
cli-err-bundle-attachments-differ = 附件列表与事件引用的 SHA-256 值不一致
cli-err-bundle-content-not-base64 = 文件内容不是 Base64 编码
cli-err-bundle-content-hash-mismatch = 文件的 SHA-256 不一致
cli-err-bundle-schema-versions-differ = 与事件中的版本不一致
cli-err-bundle-timeline-line-differs = 第 { $line } 行与事件不一致
cli-err-bundle-re-encoding = 重新编码失败：{ $detail }
cli-err-bundle-not-canonical = 有值不是规范写法（例如十六进制用了大写）
cli-err-bundle-duplicate-key = 同一对象中键 { $key } 出现了两次
cli-err-bundle-quorum-impossible = 给出了 { $given } 个见证人，无法达到 { $quorum } 个的法定数
cli-err-bundle-quorum-not-met = 给出的 { $given } 个见证人中有 { $cosigned } 个联署了检查点，要求 { $quorum } 个；未联署：{ $missing }
cli-err-bundle-not-cosigned-by = { $witness }（{ $failure }）
cli-err-note-malformed-note = 签名文本格式有误：{ $detail }
cli-err-note-malformed-checkpoint = 检查点内容格式有误：{ $detail }
cli-err-note-malformed-key = 验证密钥格式有误：{ $detail }
cli-err-note-not-signed = 没有密钥 { $name }（{ $key_id }）的签名
cli-err-note-bad-signature = { $name } 的签名校验失败
cli-err-flaw-no-final-newline = 末尾缺少换行
cli-err-flaw-not-three-lines = 应恰好有来源、树大小、根哈希三行
cli-err-flaw-bad-origin = 来源为空，或含有空格或“+”
cli-err-flaw-bad-tree-size = 树大小不是不带前导零的十进制数
cli-err-flaw-tree-size-out-of-range = 树大小超出范围
cli-err-flaw-root-not-base64 = 根哈希不是 Base64 编码
cli-err-flaw-root-not32-bytes = 根哈希长度不是 32 字节
cli-err-flaw-root-not-canonical = 根哈希不是规范的 Base64 编码
cli-err-flaw-not-name-key-id-key = 格式应为 名称+密钥编号+密钥
cli-err-flaw-key-not-base64 = 密钥不是 Base64 编码
cli-err-flaw-not-ed25519-key = 不是 Ed25519（类型 0x01）密钥
cli-err-flaw-not-witness-key = 不是见证方（cosignature/v1，类型 0x04）密钥
cli-err-flaw-key-not32-bytes = Ed25519 密钥应为 32 字节
cli-err-flaw-not-ed25519-point = 不是有效的 Ed25519 公钥点
cli-err-flaw-key-id-mismatch = 密钥编号与密钥不符
cli-err-flaw-signature-line = 签名行格式有误
cli-err-flaw-signature-not-base64 = 签名不是 Base64 编码
cli-err-flaw-signature-too-short = 签名过短
cli-err-flaw-control-characters = 含有控制字符
cli-err-flaw-no-blank-line = 签名前缺少空行
cli-err-flaw-no-signature-lines = 没有签名行
cli-err-flaw-bad-key-name = 密钥名称不能为空，且不能含空格或“+”
cli-err-flaw-bad-text = 文本须以换行结尾，且不含控制字符
cli-err-flaw-not-private-witness-key = 见证方私钥应以 PRIVATE+KEY+ 开头
cli-err-flaw-not-private-key-parts = 格式应为 PRIVATE+KEY+名称+密钥编号+密钥
cli-err-flaw-not-cosignature-key = 不是 cosignature/v1（类型 0x04）密钥
cli-err-flaw-seed-not32-bytes = 种子长度不是 32 字节
cli-err-flaw-timestamp-out-of-range = 时间戳超过 2^63 - 1
cli-err-merkle-empty-tree = 树大小为 0：空树不含任何叶子
cli-err-merkle-leaf-index-out-of-range = 叶子序号 { $index } 超出了树大小 { $tree_size }
cli-err-merkle-sizes-out-of-order = 旧树大小 { $size1 } 大于新树大小 { $size2 }
cli-err-merkle-empty-old-tree = 旧树大小为 0：从空树出发的一致性证明什么也证明不了
cli-err-merkle-size-beyond-tree = 树大小 { $requested } 超出了现有的 { $available } 个叶子
cli-err-merkle-malformed-hash = { $role }长 { $len } 字节，而 SHA-256 哈希为 { $hash_len } 字节
cli-err-merkle-wrong-proof-length = 证明长度不对：给出 { $actual } 个哈希，这些树大小需要 { $expected } 个
cli-err-merkle-roots-differ = 树大小相同（{ $size }），但根不同
cli-err-merkle-root-mismatch = { $role }不符：按证明算得 { $computed }，应为 { $expected }
cli-err-merkle-missing-node = 节点存储中缺少节点（第 { $level } 层，序号 { $index }）
cli-err-merkle-tree-full = 树已满
cli-err-merkle-store = 节点存储出错：{ $detail }
cli-err-role-leaf-hash = 叶子哈希
cli-err-role-root = 根
cli-err-role-old-root = 旧树的根
cli-err-role-new-root = 新树的根
cli-err-role-proof-element = 第 { $detail } 个证明元素

## export
cli-export-wrote-parquet = 已写出 { $path }：{ $n } 条记录，共 { $files } 个 Parquet 文件，链头哈希 { $head }
cli-export-wrote = 已写出 { $path }：{ $n } 条记录，链头哈希 { $head }

## verify --from-checkpoint
cli-reading-checkpoint = 读取检查点 { $path }
cli-json-has-no-note = 该 JSON 文档没有 "note" 字段
cli-extends-no-key = 没有可用来核对所保存检查点的公钥：请给出 --pubkey，或校验其数据目录存有签名密钥、或其检查点带有所保存检查点之公钥的日志
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
cli-import-err-unknown-format = { $what } 既不是 .csv 文件也不是 .xlsx 文件
cli-import-err-unreadable = 无法将该文件读取为 { $format }：{ $reason }
cli-import-err-no-header = 文件没有表头行
cli-import-err-no-company-name = 没有任何一列是公司名称（表头：{ $header }）；请用 --map 列名=company_name 指定
cli-import-err-mapping-without-field = --map { $mapping }：格式应为 列名=字段
cli-import-err-unknown-field = --map { $mapping }：{ $field } 不是可用字段（company_name、unified_social_credit_code、phone、contact_email、owner、attributes.键名、ignore）
cli-import-err-unknown-column = --map { $mapping }：没有名为 { $column } 的列（表头：{ $header }）
cli-import-err-field-twice = --map { $field }：列 { $first } 和列 { $second } 都对应 { $field }；请把其中一列映射为 ignore
cli-import-err-too-many-rows = 清单有 { $rows } 行，一次最多导入 { $max } 行：请拆分后再导入
cli-import-err-too-many-columns = 单元格 { $cell } 超出了第 { $last } 列：最多读取 { $max } 列；请删除或移走超出的内容
cli-import-err-too-much-text = 单元格中的文本超过 { $max } MiB，一次最多导入这么多：请拆分清单后再导入
cli-import-customers-summary = { $dry_run ->
    [yes] 共 { $rows } 行：将登记 { $registered }，此前已导入 { $already }，分配归属 { $owners }，拒绝 { $refused }（试运行：未追加任何记录）
   *[no] 共 { $rows } 行：已登记 { $registered }，此前已导入 { $already }，分配归属 { $owners }，拒绝 { $refused }
}
cli-import-pos-no-log = { $dir } 中没有日志；须先录入门店、SKU 和会员
cli-import-pos-done = 已导入 { $lines } 行，共 { $batches } 批（其中 { $replayed } 批此前已导入），追加 { $events } 个事件
cli-import-pos-kept = 之前的 { $batches } 批（第 1 至 { $last } 行）已保留
cli-import-pos-bad-lines = 导入在第 { $index } 批（第 { $first } 至 { $last } 行）停止：{ $n } 行有误，本批未追加任何记录；{ $kept }
cli-import-pos-bad-line = 第 { $line } 行：{ $code }：{ $detail }
cli-import-pos-batch-reused = 批次 { $batch_id }（第 { $first } 至 { $last } 行）此前已以不同的行录入；{ $kept }
cli-import-pos-stopped = 导入在第 { $index } 批（第 { $first } 至 { $last } 行）停止：{ $error }；{ $kept }

## rebuild、replay
cli-rebuild-not-a-rebuild = { $path } 中不只有先前的重建结果（{ $names }）：--force 只替换重建写下的文件，绝不替换网关服务过的数据目录；请另选 --out
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

## 命令行帮助：各选项和参数（cli-arg-<命令>-<id>），键由代码计算（src/i18n/command_line.rs）
cli-arg-lang = 面向人的消息所用语言：zh-CN 或 en（默认取自 LC_ALL、LC_MESSAGES 或 LANG；zh* 为 zh-CN，其他为英文）。JSON、导出文件和退出码从不随之改变
cli-arg-help = 打印帮助
cli-arg-version = 打印版本
cli-arg-serve-data = 数据目录（不存在时创建）：日志、附件、令牌
cli-arg-serve-store = 日志放在别处：`postgres://...`（可加 `?schema=NAME`）让多个网关进程共用一个 PostgreSQL 日志，或另一个数据目录；DATA 仍保存本进程的令牌、附件、读模型和密钥
cli-arg-serve-listen = 监听地址
cli-arg-serve-tokens = 令牌文件（默认 DATA/tokens.json；不存在时创建并写入一个管理员令牌）
cli-arg-serve-demo = 写入演示配置、销售代表和客户（每个数据目录一次），并为每个角色打印一个令牌
cli-arg-serve-demo-scale = 配合 --demo：`year` 写入 SPEC 第 4 节的一年（17 个大区、427 个客户、327 家门店及一年的 POS 小票；release 构建约一分钟），`small` 写入一个 60 天的小组织，最后 30 天有 6 家门店（数秒，供测试）
cli-arg-serve-max-body-bytes = 接受的 JSON 请求体最大字节数
cli-arg-serve-max-blob-bytes = 接受的证据文件最大字节数
cli-arg-serve-log-cache-mb = 内嵌日志的页缓存大小（MiB；计入进程内存；读模型另有自己的缓存）
cli-arg-serve-view-cache-mb = 每个表投影器缓存已解码行的大小（MiB；每个投影器一份，共 13 份；单独重建某个视图时，它所读取的投影器的每个私有副本另有一份）
cli-arg-serve-view-page-cache-mb = 读模型数据库的页缓存大小（MiB）
cli-arg-serve-day-close-every-secs = 日结调度器检查已过结账时间的日子的间隔秒数（0：不调度；由集成方日结）
cli-arg-serve-checkpoint-every-records = 每新增这么多条记录为日志签一个检查点（0：只在运行 `salesledger checkpoint` 时签；共享的 PostgreSQL 日志上不运行）
cli-arg-serve-checkpoint-every-secs = ……或距上一个检查点这么多秒后（若有新记录）
cli-arg-serve-header-read-timeout-secs = 客户端发送完整请求头（请求行和各头部）的秒数，超时即关闭连接
cli-arg-serve-max-connections = 同时服务的连接数（其余在监听队列中等待）
cli-arg-serve-shutdown-timeout-secs = 收到 SIGTERM/SIGINT 后 `serve` 停止可用的秒数；届时仍在运行的步骤（例如磁盘已满时）被放弃并记入日志，退出码为 1
cli-arg-serve-future-margin-secs = 业务时间（拜访、跟进、邮件回执、链接打开、工单、POS 销售……）可超前于本服务器时钟的秒数；更晚的以 422 `time_in_future` 拒绝并指出字段。最多一年
cli-arg-verify-data = 内嵌存储的数据目录
cli-arg-verify-url = 运行中网关的基础 URL（`https://host:port`）
cli-arg-verify-token = `--url` 所用的访问令牌（任何角色；审计员的即可），或 `@FILE`
cli-arg-verify-state = 配合 `--url`：保存上次校验通过的检查点和日志公钥的文件（首次使用时创建）
cli-arg-verify-pubkey = 独立获得的日志验证公钥（或存放它的文件）。配合 `--url`：没有它时，新的状态文件在首次使用时信任网关的公钥，并给出警告。配合 `--data`（可重复，例如在没有旧密钥的恢复前后的两个公钥）：每个检查点须由其中之一签名；没有它时每个检查点用其自带的公钥校验，并列出这些公钥，给出警告
cli-arg-verify-witness = 配合 `--url`：一个见证者的验证公钥（可重复）；最新检查点须带有其中 `--witness-quorum` 个的联署
cli-arg-verify-witness-quorum = 须有多少个 `--witness` 公钥联署（默认：全部）
cli-arg-verify-json = 以 JSON 而非文本打印报告
cli-arg-verify-from-checkpoint = 同时证明日志延续了此前保存的这个检查点（其签名注记，或带 `note` 字段的 JSON）
cli-arg-key-data = 数据目录（密钥不存在时创建于 DATA/audit/）
cli-arg-key-witness = 改为：一个见证者的密钥文件（C2SP tlog-cosignature），不存在时创建（需要 `--name`）；打印其验证公钥
cli-arg-key-name = 新见证者密钥的名称，例如 `witness.example.com/w1`
cli-arg-checkpoint-data = 内嵌存储的数据目录（网关须已停止），或配合 `--store` 时签名方的数据目录：其密钥和 Merkle 树
cli-arg-checkpoint-store = 日志放在别处：`postgres://...[?schema=NAME]`（多个网关共享的日志，它们自己不签检查点：在指定的唯一签名方上运行本命令）或另一个数据目录
cli-arg-checkpoint-json = 以 JSON 而非签名注记打印检查点记录
cli-arg-evidence-data = 内嵌存储的数据目录（网关须已停止），或配合 `--store` 时签名方的数据目录：其密钥和 Merkle 树
cli-arg-evidence-store = 日志放在别处（同 `checkpoint --store`）：证据包依据以 DATA 的密钥签名的检查点证明
cli-arg-evidence-url = 运行中的网关（`https://host:port`）：证据包从 `GET /v1/audit/evidence/...` 下载，校验后再写出
cli-arg-evidence-token = `--url` 所用的访问令牌（审计员角色），或存放它的 `@FILE`
cli-arg-evidence-pubkey = 配合 `--url`：用于校验证据包的日志验证公钥（或存放它的文件）；否则用 `--state` 中的公钥
cli-arg-evidence-state = 配合 `--url`：`verify --url` 的状态文件（其中保存的公钥）
cli-arg-evidence-customer = 关于该客户的全部事件：其事件流、开启事件指向它的事件流（其线索、方案、合同、拜访、培育包、资产）以及生效的策略
cli-arg-evidence-lead = 该线索的全部事件，以及生效的分配规则
cli-arg-evidence-proposal = 该方案的全部事件
cli-arg-evidence-with-files = 连同附件本身（方案 PDF，base64）
cli-arg-evidence-out = 要写出的证据包文件
cli-arg-verify-bundle-file = 证据包文件
cli-arg-verify-bundle-pubkey = 独立于证据包获得的日志验证公钥（`name+keyid+base64`，或存放它的文件）。没有它时使用证据包自带的公钥，只有其指纹把它和日志联系起来
cli-arg-verify-bundle-witness = 一个见证者的验证公钥（C2SP tlog-cosignature，类型 0x04），或存放它的文件：证据包的检查点须带有其联署。可重复
cli-arg-verify-bundle-witness-quorum = 须有多少个 `--witness` 公钥联署（默认：全部）
cli-arg-verify-bundle-json = 以 JSON 打印报告
cli-arg-witness-url = 网关的基础 URL
cli-arg-witness-token = 见证者角色的访问令牌，或 `@FILE`
cli-arg-witness-key = 见证者的私钥文件（由 `salesledger key --witness FILE --name NAME` 生成）
cli-arg-witness-state = 见证者的状态：按日志来源记录日志公钥和上一个已联署的检查点（首次使用时创建）
cli-arg-witness-log-vkey = 独立获得的日志验证公钥（或存放它的文件）；没有它时，状态文件中没有的日志在首次使用时被信任，并给出警告。一旦记入状态就必须一致
cli-arg-witness-once = 运行一轮后退出（默认）
cli-arg-witness-interval = 持续运行，每 SECS 秒一轮；遇到第一个被拒绝的检查点即停止（退出码 1）
cli-arg-export-data = 内嵌存储的数据目录
cli-arg-export-out = 要写出的 JSON 行文件；配合 `--format parquet` 时为 Parquet 文件所在目录
cli-arg-export-format = `jsonl`（可移植导出，docs/AUDIT.md）或 `parquet`（供分析人员：带类型的列，按位置区间分文件，见 README“For analysts”）
cli-arg-export-records-per-file = Parquet：每个文件最多这么多条记录
cli-arg-export-force = Parquet：替换已有文件的目录中先前的导出（否则拒绝）
cli-arg-rebuild-from = 导出文件（`salesledger export`）
cli-arg-rebuild-out = 一个新目录（或配合 --force，使用先前一次重建写入的目录）
cli-arg-rebuild-format = `json`：每个视图的答复写为 OUT/<view>.json；`parquet`：每个视图的每张表写为 OUT/parquet/<projector>.<table>.parquet，并附 OUT/parquet/tables.json（见 README“For analysts”）
cli-arg-rebuild-force = 替换 OUT 中先前一次重建的结果，而不是拒绝非空目录
cli-arg-replay-data = 内嵌存储的数据目录
cli-arg-replay-view = 视图：responsibility、health、risk、assets、funnel、receivables、digest、leaderboard、retail_stores、retail_members 或 todos
cli-arg-replay-position = 折叠到并包括此位置的记录
cli-arg-replay-as-of = 折叠在此时间（RFC 3339）或之前记录的记录
cli-arg-replay-weights = 一套健康度策略（JSON，与发布到 /v1/config/health-policy 的相同），全程替代已发布的策略
cli-arg-copy-from = 要复制的日志：数据目录或 `postgres://...[?schema=NAME]`
cli-arg-copy-to = 复制到哪里：数据目录或 `postgres://...[?schema=NAME]`，其中尚无记录
cli-arg-copy-json = 以 JSON 打印报告
cli-arg-backup-url = 运行中网关的基础 URL（`https://host:port`）
cli-arg-backup-token = 可读取所有事件类型和所有附件的角色的访问令牌（审计员的；主管的也可以），或 `@FILE`
cli-arg-backup-out = 备份的数据目录：首次时不存在或为空，再次使用同一目录即继续备份
cli-arg-backup-json = 以 JSON 打印报告
cli-arg-init-data = 数据目录（不存在时创建）
cli-arg-init-store = 日志放在别处：`postgres://...`（可加 `?schema=NAME`）或另一个数据目录，同 `serve --store`
cli-arg-init-config = 组织文件（TOML；docs/INIT.md）
cli-arg-import-pos-file = NDJSON 文件
cli-arg-import-pos-data = 内嵌存储的数据目录（其门店、SKU 和会员目录用于校验各行）
cli-arg-import-pos-batch-lines = 每批大约的行数（整张小票）
cli-arg-import-customers-file = 名单：`.csv`（UTF-8）或 `.xlsx`（其第一个工作表）
cli-arg-import-customers-data = 内嵌存储的数据目录
cli-arg-import-customers-mappings = `COLUMN=FIELD`：表头为 COLUMN 的列存放 FIELD（`company_name`、`unified_social_credit_code`、`phone`、`contact_email`、`owner`（销售代表的 id 或显示名）、`attributes.KEY` 或 `ignore`）。可重复；常见的中英文表头无需指定即可识别
cli-arg-import-customers-dry-run = 检查每一行（取值、与日志及前面各行的撞单、归属），不追加任何记录
cli-about-help = 打印本帮助或指定子命令的帮助
cli-arg-token-create-data = 数据目录（其中的 `tokens.json`）
cli-arg-token-create-tokens = 令牌文件（当 `serve` 使用了 `--tokens FILE` 时）
cli-arg-token-create-name = 令牌名称：持有者引起的事件上记录的操作者（在有效令牌中唯一）
cli-arg-token-create-role = rep、supervisor、csm、finance、legal、cto、marketing、store_manager、regional_supervisor、auditor、analyst、integrator 或 witness（仅审计检查点、一致性证明和联署）
cli-arg-token-create-rep-id = 销售代表令牌（此时必填）：它所代表的销售代表
cli-arg-token-create-region = regional_supervisor 令牌：其读取范围限定的大区
cli-arg-token-create-expires = 失效时间：一个日期（YYYY-MM-DD，自当天 00:00 UTC 起）或 RFC 3339 时间
cli-arg-token-create-json = 打印 `{"{"}"name": ..., "token": ..., ...{"}"}` 而非文本
cli-arg-token-list-data = 数据目录（其中的 `tokens.json`）
cli-arg-token-list-tokens = 令牌文件（当 `serve` 使用了 `--tokens FILE` 时）
cli-arg-token-list-json = 打印 JSON（`{"{"}"tokens": [...]{"}"}`，同 `GET /v1/tokens`）而非表格
cli-arg-token-revoke-data = 数据目录（其中的 `tokens.json`）
cli-arg-token-revoke-tokens = 令牌文件（当 `serve` 使用了 `--tokens FILE` 时）
cli-arg-token-revoke-name = 令牌名称
cli-about-bench-audit = 在 N 条记录的日志上：包含证明、一个 1,000 个事件的客户证据包、对比原始 SHA-256 的完整校验，以及导出
cli-arg-bench-audit-events = 日志中的记录数（其中一个客户占 1,000 条）
cli-arg-bench-audit-data = 将日志保存在 DATA 而非临时目录；`bench audit --events N --data DATA` 留下的日志会被复用而不再重新写入（以便在同一日志上、各自从新进程比较证据包的构建）
cli-arg-bench-audit-bundle-only = 只计时证据包（首次构建，然后再次构建）；跳过证明、扫描、验证和导出的各项数字
cli-about-bench-store = 事件日志的持久追加和读取吞吐量，对比同一磁盘上的原始 sled 基线。日志留在 DATA 中，可用 `salesledger verify --data DATA` 校验
cli-arg-bench-store-data = 存放日志的新数据目录（不存在或为空）
cli-arg-bench-store-store = 改为测量 PostgreSQL 日志：`postgres://...`（使用并删除一个新 schema，除非 `?schema=NAME` 指定一个空的），对比同一服务器上的原始单行 INSERT 事务
cli-arg-bench-store-events = 每个阶段追加的事件数（1、16 和 64 个追加者）
cli-arg-bench-store-extra-appenders = 在标准的三种之后再测量的追加者数量，例如 `128,256`（打印为 `append_128=`，……）
cli-arg-bench-store-log-cache-mb = 日志的 sled 页缓存大小（MiB，8 到 65536；默认与存储相同，即 `serve` 所用）；仅用于 sled 日志
cli-about-bench-projections = 完整重建每个读模型（`serve` 运行的投影），对比对同一日志的原始读取和解码，日志由样例年份构造（复制出 N 个事件，或同一组织的 K 年历史）；峰值内存在子进程中测量
cli-arg-bench-projections-events = 日志中的事件数（按需复制样例年份：每个副本为组织增加自己的客户、销售代表和线索）
cli-arg-bench-projections-years = 不复制，而是经命令管道生成规格中的组织（427 个客户、40 名销售代表）在这么多个 365 天里的历史：组织规模固定、随时间增长的日志
cli-arg-bench-projections-data = 把日志保存在此目录（已有足够事件时供以后的运行复用；使用 `--years` 时，仅当它由相同的 `--years` 构建）；默认：临时目录
cli-arg-bench-projections-measure = 内部使用：测量此目录中的日志（子进程）
cli-arg-bench-projections-engine = 重建哪一层读模型：`tables`（键控表引擎，所有表投影器；整体模型运行器移除后唯一的一层）
cli-arg-bench-projections-log-cache-mb = 测量时日志的 sled 页缓存大小（MiB，8 到 65536；默认与存储相同，即 `serve` 所用）：用来看出 `peak_rss_mb` 中有多少是日志的缓存而非读模型
cli-arg-bench-projections-view-cache-mb = 测量时每个读模型的行缓存大小（MiB；默认与 `serve` 相同）
cli-arg-bench-projections-view-page-cache-mb = 测量时读模型的页缓存大小（MiB；默认与 `serve` 相同）
cli-about-bench-gateway = 回环地址上的网关，承受并发客户端的混合命令负载（拜访、方案证据、认领），对比同一次运行中相同并发下存储的组提交追加速率
cli-arg-bench-gateway-clients = 并发客户端数（每个都是持有自己令牌的销售代表）
cli-arg-bench-gateway-commands = 总共发送的命令数
cli-about-bench-pos = N 行生成的 POS 数据经进程内网关的 `POST /v1/pos/sales`（视图随之更新），对比相同批次直接追加到新存储，然后是渗透率视图的 p99
cli-arg-bench-pos-lines = POS 总行数
cli-arg-bench-pos-batch-lines = 每批行数（整张小票）
cli-arg-bench-pos-clients = 同时在途的批次数（两个阶段都是）

## clap 自身的用语（src/i18n/command_line.rs）
cli-clap-usage = 用法：
cli-clap-commands = 命令
cli-clap-arguments = 参数
cli-clap-options = 选项
cli-clap-default = [默认：{ $value }]
cli-clap-possible-values = [可选值：{ $values }]
cli-clap-error = 错误：{ $message }
cli-clap-unknown-argument = 无法识别的参数“{ $arg }”
cli-clap-unknown-command = 无法识别的子命令“{ $command }”
cli-clap-invalid-value = “{ $arg }”的值“{ $value }”无效
cli-clap-valid-values = （可选值：{ $values }）
cli-clap-missing-argument = 缺少必需的参数：{ $arg }
cli-clap-missing-command = 需要一个子命令
cli-clap-conflict = 参数“{ $arg }”不能与“{ $other }”同时使用
cli-clap-wrong-values = “{ $arg }”的取值个数不对
cli-clap-other = 无法解析命令行
cli-clap-more-help = 更多信息请使用“--help”。

## serve：启动输出和演示数据（src/app.rs、src/demo.rs）
cli-serve-listening = salesledger 网关正在监听 http://{ $address }（数据目录 { $data }）
cli-serve-listening-log-at = salesledger 网关正在监听 http://{ $address }（日志在 { $log }，数据目录 { $data }）
cli-demo-seeding = 正在写入演示数据（{ $scale }）：历史从 { $from } 到 { $to }（种子 { $seed }）
cli-progress-demo-history = 演示历史（天）
cli-progress-demo-stores = 演示门店（天）
cli-demo-seeded = 演示数据已写入：{ $commands } 条命令，{ $events } 个事件，{ $regions } 个大区的 { $reps } 名销售代表，{ $customers } 个客户
cli-demo-seeded-stores = {"  "}连锁门店：{ $regions } 个大区的 { $stores } 家门店（其中加盟 { $franchised } 家），{ $skus } 个 SKU，{ $members } 名会员，{ $promotions } 个促销，{ $tickets } 张 POS 小票（{ $lines } 行，平均客单价 { $avg_cents } 分），从 { $from } 到 { $to }
cli-demo-already-seeded = 日志中已有 { $events } 个事件：不再重复写入演示数据
cli-demo-tokens = 演示令牌（每个角色一个；每次以 --demo 启动都会新建）：
cli-demo-rep-token = 销售代表令牌代表销售代表 { $rep_id }
cli-serve-admin-token-created = 已创建 { $path }，内含一个管理员令牌（主管角色）；它只显示这一次：
cli-serve-admin-token = {"  "}管理员令牌：{ $token }

## serve：启动时失败的步骤（错误的上下文）
cli-serve-creating = 创建 { $path }
cli-serve-restricting = 限制 { $path } 的访问权限
cli-serve-opening-blobs = 打开附件存储
cli-serve-starting-read-models = 启动读模型
cli-serve-metrics = 指标
cli-serve-opening-webhooks = 打开 webhook 订阅
cli-webhook-key-missing = Webhook 密钥文件 { $path } 不存在，但 Webhook 数据库中有用密钥加密的签名密钥：请从数据目录的备份中恢复该密钥文件（新建密钥会使现有的全部 Webhook 签名密钥无法使用）
cli-webhook-key-wrong = Webhook 密钥文件 { $path } 无法解密 Webhook 数据库中的签名密钥（不是同一个密钥）：请从数据目录的备份中恢复正确的密钥文件
cli-serve-starting-reactions = 启动反应流程管理器
cli-serve-writing = 写入 { $path }
cli-serve-binding = 绑定监听地址 { $address }
cli-serve-starting-webhook-dispatcher = 启动 webhook 投递器
cli-serve-starting-checkpointer = 启动检查点签名任务
cli-demo-seeding-year = 写入演示年份
cli-demo-seeding-stores = 写入演示连锁门店

## 打开日志（src/backend.rs）
cli-store-creating = 创建 { $path }
cli-store-opening-in = 打开 { $path } 中的事件日志
cli-store-opening-at = 打开位于 { $location } 的事件日志

## 存储位置与日志的 Parquet 导出
cli-store-location-empty = 存储位置为空（请给出数据目录或 postgres:// URL）
cli-store-schema-empty = schema 参数没有给出模式名
cli-export-record-missing = 日志中缺少记录 { $position }
cli-export-log-ended = 日志在第 { $position } 条记录处结束（共 { $n } 条）
cli-export-chain-broken = 位置 { $position }：{ $reason }
cli-export-head-differs = 最后一条记录的哈希与日志头不一致
cli-renaming = 重命名 { $path }

## 日志为何未通过校验（存储层的 ChainBreak、审计层的 AuditBreak）；cli-err-* 键由各变体算出（src/i18n/errors.rs）
cli-err-chain-position-gap = 应为位置 { $expected }，实为位置 { $found }
cli-err-chain-prev-hash-mismatch = 记录所存的前一哈希 { $found } 与上一条记录的哈希 { $expected } 不符
cli-err-chain-hash-mismatch = 所存哈希为 { $stored }，但按记录内容算得 { $computed }
cli-err-chain-stream-version-jump = 流 { $stream } 的版本跳到 { $found }（应为 { $expected }）
cli-err-chain-time-goes-backwards = 记录时间早于上一条记录
cli-err-chain-record-missing = 记录缺失
cli-err-chain-head-mismatch = 最后一条记录的哈希与存储的链头不一致
cli-err-chain-undecodable = 记录无法解码：{ $detail }
cli-audit-what-record = 记录
cli-audit-what-merkle-tree = Merkle 树
cli-audit-what-checkpoint = 检查点
cli-err-audit-merkle-node = 节点（第 { $level } 层，序号 { $index }）{ $stored ->
        [none] 缺失，按日志应为 { $computed }
       *[other] 为 { $stored }，但按日志算得 { $computed }
    }
cli-err-audit-chain = { $detail }
cli-err-audit-checkpoint-key-not-published = 由 { $key } 签名，它不是 --pubkey 给出的公钥之一
cli-err-audit-checkpoint-unsigned = 检查点无法读取或签名校验失败：{ $detail }
cli-err-audit-checkpoint-empty = 检查点不覆盖任何记录
cli-err-audit-checkpoint-root-mismatch = 树大小 { $tree_size } 的签名根为 { $signed }，但按日志算得 { $computed }
cli-err-audit-checkpoint-shrinks = 树大小 { $tree_size } 小于上一个检查点的 { $previous }
cli-err-audit-checkpoint-inconsistent = 与上一个检查点不一致：{ $detail }
cli-err-audit-checkpoint-tree = Merkle 树无法给出该检查点的根或证明：{ $detail }
cli-export-line-chain-broken = 导出文件第 { $line } 行，位置 { $position }：{ $reason }
cli-err-chain-invalid-stream-id = 流 ID { $problem }
cli-err-name-empty = 为空
cli-err-name-too-long = 超过 { $max } 字节
cli-err-name-control-characters = 含控制字符
cli-chain-import-refused = 位置 { $position } 的记录被拒绝导入：{ $reason }
cli-export-line-broken = 导出文件第 { $line } 行：{ $reason }
cli-err-export-no-header = 文件为空，没有文件头
cli-err-export-bad-header = 文件头无效：{ $detail }
cli-err-export-wrong-format = 格式为 { $found }，应为 { $expected }
cli-err-export-read = 无法读取该行：{ $detail }
cli-err-export-not-a-record-line = 不是记录行：{ $detail }
cli-err-export-not-base64 = canonical 字段不是 base64 编码
cli-err-export-undecodable = 记录无法解码：{ $detail }
cli-err-export-position-mismatch = 该行标注位置 { $line_says }，但其记录位于位置 { $record_says }
cli-err-export-ends-early = 文件只有 { $found } 条记录，文件头标明 { $expected } 条
cli-err-export-head-hash-differs = 最后一条记录的哈希与文件头的链头哈希不一致
cli-err-export-too-many-records = 记录数超过文件头标明的 { $expected } 条
cli-err-export-write = 写入失败：{ $detail }
cli-err-export-record-missing = 日志中缺少记录 { $position }
cli-err-export-log-out-of-order = 日志返回了位置 { $found }
cli-err-view-projection = 无法应用该事件：{ $detail }
cli-err-view-panicked = 投影程序异常崩溃
cli-err-view-undecodable = 事件无法解码：{ $detail }
cli-err-view-provider-failed = 所依赖的视图 { $provider } 已在位置 { $position } 停止
cli-err-view-tables = 写入视图数据失败：{ $detail }
cli-err-view-read-log = 读取日志失败：{ $detail }

## 基准测试的参数与准备；异步运行时；演示的示例请求
cli-starting-runtime = 启动异步运行时
cli-creating-temporary-directory = 创建临时数据目录
cli-bench-pos-positive = --lines、--batch-lines 和 --clients 必须为正数
cli-bench-gateway-clients = --clients 必须为正数，且 --commands 不少于 --clients
cli-bench-not-postgres = 不是 PostgreSQL 位置
cli-bench-events-at-least = --events 至少为 { $n }
cli-bench-connecting-postgres = 连接 PostgreSQL
cli-bench-schema-not-empty = 模式 { $schema } 中已有日志：基准测试需要一个空模式
cli-bench-data-or-store = 需要 --data 或 --store
cli-bench-log-cache-sled-only = --log-cache-mb 设置的是内嵌 sled 日志的缓存；PostgreSQL 日志没有这项缓存
cli-bench-data-no-parent = 数据目录没有上级目录
cli-bench-creating-raw-dir = 在数据目录旁创建原始基线目录
cli-bench-running-child = 运行测量子进程
cli-export-records-per-file = --records-per-file 至少为 1
cli-demo-request = 演示的示例请求
cli-demo-request-refused = 登记示例客户得到应答 { $status }：{ $answer }
cli-parquet-out-not-empty = { $dir } 中已有文件（{ $n } 项）；如要替换该处的导出，请加 --force
cli-token-status-active = 有效
cli-token-status-expired = 已过期
cli-token-status-revoked = 已吊销
cli-serve-shutdown-incomplete = 停止未完成：{ $secs } 秒后放弃了 { $steps }（已确认的追加均已持久化；读模型和检查点会从各自最后的持久状态继续）
cli-shutdown-step-http-drain = 处理中的 HTTP 请求
cli-shutdown-step-webhooks = Webhook 投递
cli-shutdown-step-checkpointer = 检查点签署
cli-shutdown-step-scheduler = 日结调度
cli-shutdown-step-reactions = 联动处理
cli-shutdown-step-read-models = 读模型的最终保存
cli-shutdown-step-log-close = 关闭事件日志
cli-shutdown-step-databases = 关闭数据库
cli-sending-request = { $method } { $url }：请求未能发出
cli-token-entry-bad-sha256 = { $actor } 的令牌：token_sha256 不是 64 位十六进制数
cli-token-entry-bad-actor = 令牌的操作者“{ $actor }”无效
cli-token-entry-bad-region = { $actor } 的令牌区域无效
cli-evidence-no-events = 日志中没有关于{ $kind } { $id } 的任何事件
cli-init-too-many-reps = 最多 { $max } 名销售
cli-init-rep-twice = 销售 { $rep_id }（{ $name }）已是 reps[{ $earlier }]；请给每名销售不同的姓名或编号
cli-store-unknown-scheme = 本程序读不了 { $scheme }:// 的日志：请给出数据目录或 postgres:// URL
cli-shutdown-step-token-use = 保存令牌使用记录
