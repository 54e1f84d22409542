# renewd 的简体中文消息。每个 id 都必须在 en.ftl 中存在（有测试检查）。
# 变量（$amount、$when 等）传入时已按语言格式化。

signature = renewd

## 多条消息共用的行
row-line = 线路
row-line-value = { $name }（{ $id }）
row-carrier = 运营商
row-bought = 已购买
row-amount = 金额
row-why = 原因
row-when = 时间
row-provider-ref = 服务商单号
row-renewd-ref = renewd 单号
row-ledger-id = 账本编号
row-provider-says = 服务商说明
row-now = 当前
row-balance-now = 当前余额
row-data-now = 当前流量
row-expires = 到期时间
row-last-error = 最近错误
none-given = 未提供
not-reported = 尚未报告

## 本月支出
spend-line = 本线路本月
spend-all = 所有线路本月
spend-of = { $spent }，上限 { $cap }
spend-no-cap = { $spent }（无上限）
spend-nothing-of = 尚无支出，上限 { $cap }
spend-nothing-no-cap = 尚无支出（无上限）

## 收据：充值已确认
receipt-subject = renewd：已为 { $line } 充值 { $price }
receipt-package-for = { $package }，价格 { $price }
receipt-should-last = 按近期用量{ $about }（可信度{ $confidence }）
row-should-last = 预计可用
about-hours = 约 { $n } 小时
about-days = 约 { $n } 天
confidence-low = 低
confidence-medium = 中
confidence-high = 高
receipt-intro = { $line } 已充值。

## 失败：服务商拒绝了充值
failed-subject = renewd：{ $line } 充值失败
failed-intro = { $line } 的充值失败，未扣任何费用。
failed-tried = 尝试购买
failed-said = 服务商回复
failed-said-code = { $text }（代码 { $code }）
failed-will = renewd 将
failed-you-can = 您可以
failed-next-at = { $what }（{ $when }）

## 警告：结果未知
unknown-subject = renewd：{ $line } 的充值结果未知（需要您处理）
unknown-intro = renewd 已发出充值请求，但无法确认是否成功。
unknown-outro = 在此事解决之前，renewd 不会再为这条线路购买任何东西。请在运营商账户中核对上面的单号，然后运行：renewd resolve { $id } --paid（或 --failed）

## 警告：上限阻止了购买
cap-scope-line = 线路
cap-scope-global = 总
cap-subject = renewd：已达{ $scope }上限，{ $line } 未充值
cap-intro = { $line } 需要充值，但会超出每月{ $scope }上限。
cap-why = 需要购买的原因
cap-would-buy = 本应购买
cap-spent = 本月已花费（{ $scope }上限）
cap-outro = 请在配置中提高上限（monthly_cap）并重新加载 renewd（systemctl reload renewd），或手动为线路充值。每条线路每月只会收到一次此警告。

## 失败：无法检查线路
checkfail-subject = renewd：无法检查 { $line }
checkfail-intro = 自 { $since } 起，renewd 一直无法检查 { $line }。
checkfail-since = 失败开始于
checkfail-outro = renewd 会按线路的计划继续尝试。请检查运营商凭据和服务状态。

## 警告：演练模式
dryrun-subject = renewd：演练：本应为 { $line } 充值
dryrun-intro = renewd 本应为 { $line } 充值。
dryrun-decided = 决定时间
dryrun-outro = daemon.dry_run 已开启，因此没有购买任何东西。设置 dry_run = false 并重新加载 renewd 即可让它购买。

## 测试消息（test-email、test-notify）
test-subject = renewd：测试消息
test-intro = 这是来自 renewd 的测试消息。收据、失败和警告都会像这样送达。
test-through = 发送途径
test-at = 发送时间

## 消息类别（ntfy 标签、webhook 文本）
kind-receipt = 收据
kind-failure = 失败
kind-warning = 警告

## 警告：某个渠道拒绝所有消息，已暂停
paused-subject = renewd：{ $channel } 已暂停，有消息在等待
paused-intro = { $channel } 拒绝了一条消息，且该错误会阻止所有消息，因此 renewd 暂停了它。
paused-channel = 渠道
paused-reason = 对方回复
paused-fix = 解决方法
paused-since = 暂停开始于
paused-outro = 不会丢失任何消息：它们会留在队列中，渠道恢复后再发送（renewd 会以逐渐加长的间隔重试，重新加载配置后立即重试）。检查命令：renewd test-notify { $channel }

## 关于 renewd 无法处理的线路的警告
row-carrier-says = 运营商说明
row-carrier-reports = 运营商当前报告
row-carrier-said = 运营商回复
cannotact-subject = renewd：无法处理 { $line }
cannotact-intro = renewd 无法判断这条线路是否需要充值，因此不会购买任何东西。
cannotact-outro = 请为该线路设置 plan_days 或 renews_on，或通过 status_from 经由其他运营商读取其状态。
dead-subject = renewd：{ $line } 已无法充值
dead-intro = 运营商报告此 SIM 卡已失效；renewd 不会为它购买任何东西。
dead-outro = 请更换 SIM/eSIM 并更新配置。
stuck-subject = renewd：{ $line } 的充值未到账
stuck-intro = renewd 为这条线路购买了充值且运营商已确认，但运营商报告的数值仍然偏低。再次购买可能无济于事，因此 renewd 会等待。
stuck-outro = 请向运营商核实该线路（充值可能进入了其他产品或号码）。一旦读数显示充值到账，renewd 会恢复购买。
nooffer-subject = renewd：无法为 { $line } 充值
nooffer-intro = 该线路需要充值，但运营商不出售所配置的套餐。未购买任何东西。
nooffer-outro = 请将线路的 topup_amount / topup_package 与运营商提供的内容核对，并检查服务商账户。

## 触发原因与失败后的处理
trigger-balance = 余额 { $now }，低于 { $limit }
trigger-data = 流量 { $now }，低于 { $limit }
trigger-expired = 套餐已过期
note-next-pause = 如果线路仍需充值，renewd 会在暂停后重试
note-may-buy-again = 如果线路仍需充值，renewd 可能会在暂停后再次购买
note-replace-sim = 请更换 SIM 或 eSIM，并在配置中更新该线路。
note-fix-carrier = 请修正运营商设置（凭据、base_url、账户），然后重新加载 renewd。
note-read-provider = 请阅读服务商的回复：通常是服务商账户需要充值，或该线路的充值选项不可用。
note-nothing-unless = 无需处理，除非持续失败：届时请查看服务商的状态页面。
note-nothing-charged = 无需处理：未扣任何费用。

## 月度摘要
digest-subject = renewd：您的线路 { $month } 月报
digest-intro = renewd 在 { $month } 所做的事：每条线路的花费、成功与失败的充值、每月用量，以及哪里换个套餐会更便宜。
digest-all = 所有线路
digest-better = { $id }：更划算的套餐
digest-line = 通过 { $carrier } 花费 { $spent }；充值 { $topups } 次，失败 { $failed } 次；{ $usage }
digest-uses = 每月约使用 { $amount }
digest-no-use = 未见使用
digest-no-readings = 读数不足，无法判断用量
digest-advice = { $count } × { $label } 每月花费 { $cost }，而不是 { $spent }
digest-nothing = 无
digest-outro = 建议是将线路近期用量与其运营商当前列出的套餐进行比较；如需采纳，请修改配置中的 topup_package。
kind-digest = 摘要

## renewd status
status-col-line = 线路
status-col-now = 当前
status-col-trend = 趋势
status-col-runs-out = 预计用完
status-col-plan-ends = 套餐到期
status-col-next-check = 下次检查
status-col-month = 本月
status-col-attention = 需要处理
status-running = renewd 正在运行（pid { $pid }），自 { $since } 起
status-not-running = renewd 未运行：在它启动之前不会检查或购买任何东西
status-fleet = { $lines } 条线路，{ $attention } 条需要处理；本月 { $spent }，上限 { $cap }
status-fleet-checks = { $lines } 条线路：{ $checked } 条已检查，{ $failing } 条检查失败，{ $never } 条从未检查
status-fleet-next = ；下次检查 { $at } { $line }
status-never-read = 从未读取
status-paused = 已暂停
status-check-failing = 自 { $since } 起检查失败：{ $error }
status-unknown-topup = 充值 #{ $id } 结果未知
status-dead = SIM 卡已失效
status-line-cap = 本月已达线路上限
status-global-cap = 本月已达所有线路的总上限
status-queue = { $name }：{ $queued } 条排队，{ $sent } 条已发送，{ $dead } 条已放弃
status-unconfigured-open = 未结清的充值 #{ $id } { $state } { $amount }，线路 { $line }（已不在配置中；renewd resolve { $id } --paid|--failed）
status-email-paused = 邮件已暂停，自 { $since }：{ $reason }
status-email-fix = 请修正 [email]（`renewd test-email` 会说明原因），然后运行 `systemctl reload renewd`
status-channel-paused = { $name } 已暂停，自 { $since }：{ $reason }
status-channel-fix = 请修复它（`renewd test-notify { $name }` 会说明原因），然后运行 `systemctl reload renewd`
status-empty = 已用完（{ $confidence }）
