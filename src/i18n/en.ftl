# renewd's messages in English. Every id here must exist in zh-CN.ftl too (a test checks).
# Values ($amount, $when, ...) arrive already formatted for the language.

signature = renewd

## Rows shared by several messages
row-line = Line
row-line-value = { $name } ({ $id })
row-carrier = Carrier
row-bought = Bought
row-amount = Amount
row-why = Why
row-when = When
row-provider-ref = Provider reference
row-renewd-ref = renewd reference
row-ledger-id = Ledger id
row-provider-says = Provider says
row-now = Now
row-balance-now = Balance now
row-data-now = Data now
row-expires = Expires
row-last-error = Last error
none-given = none given
not-reported = not reported yet

## Month-to-date spend
spend-line = This line this month
spend-all = All lines this month
spend-of = { $spent } of { $cap }
spend-no-cap = { $spent } (no cap)
spend-nothing-of = nothing yet of { $cap }
spend-nothing-no-cap = nothing yet (no cap)

## Receipt: a confirmed top-up
receipt-subject = renewd: topped up { $line }: { $price }
receipt-package-for = { $package } for { $price }
receipt-should-last = { $about } at recent use ({ $confidence } confidence)
row-should-last = Should last
about-hours = about { $n } hours
about-days = about { $n } days
confidence-low = low
confidence-medium = medium
confidence-high = high
receipt-intro = { $line } was topped up.

## Failure: the provider refused a top-up
failed-subject = renewd: top-up FAILED for { $line }
failed-intro = A top-up for { $line } failed. Nothing was charged.
failed-tried = Tried to buy
failed-said = Provider said
failed-said-code = { $text } (code { $code })
failed-will = renewd will
failed-you-can = You can
failed-next-at = { $what } ({ $when })

## Warning: outcome unknown
unknown-subject = renewd: top-up outcome UNKNOWN for { $line } (needs you)
unknown-intro = renewd sent a top-up but could not learn whether it went through.
unknown-outro = renewd buys nothing more for this line until this is settled. Check the carrier's account for the reference above, then run: renewd resolve { $id } --paid (or --failed)

## Warning: a cap blocked a purchase
cap-scope-line = line
cap-scope-global = global
cap-subject = renewd: { $scope } cap reached, { $line } not topped up
cap-intro = { $line } needs a top-up but the { $scope } monthly cap would be exceeded.
cap-why = Why it wanted to buy
cap-would-buy = Would have bought
cap-spent = Spent this month ({ $scope } cap)
cap-outro = Raise the cap in the config (monthly_cap) and reload renewd (systemctl reload renewd), or top the line up by hand. You get this warning once a month per line.

## Failure: the line cannot be checked
checkfail-subject = renewd: cannot check { $line }
checkfail-intro = renewd has not been able to check { $line } since { $since }.
checkfail-since = Failing since
checkfail-outro = renewd keeps trying on the line's schedule. Check the carrier's credentials and service status.

## Warning: dry run
dryrun-subject = renewd: dry run: would top up { $line }
dryrun-intro = renewd would have topped up { $line }.
dryrun-decided = Decided at
dryrun-outro = daemon.dry_run is on, so nothing was bought. Set dry_run = false and reload renewd to let it buy.

## Test messages (test-email, test-notify)
test-subject = renewd: test message
test-intro = This is a test message from renewd. Receipts, failures and warnings will arrive like this one.
test-through = Sent through
test-at = Sent at

## Kinds, as a channel shows them (ntfy tags, webhook text)
kind-receipt = Receipt
kind-failure = Failure
kind-warning = Warning

## Warning: a channel refuses every message and is paused
paused-subject = renewd: { $channel } is paused, messages are waiting
paused-intro = { $channel } refused a message in a way that stops every message, so renewd paused it.
paused-channel = Channel
paused-reason = It said
paused-fix = To fix
paused-since = Paused since
paused-outro = Nothing is lost: its messages stay queued and go out once it works again (renewd tries again with growing pauses, and at once after a reload). Check it with: renewd test-notify { $channel }

## Warnings about a line that renewd cannot act on
row-carrier-says = Carrier says
row-carrier-reports = Carrier reports now
row-carrier-said = Carrier said
cannotact-subject = renewd: cannot act on { $line }
cannotact-intro = renewd cannot tell whether this line needs a top-up, so it buys nothing.
cannotact-outro = Set plan_days or renews_on on the line, or read its status through another carrier with status_from.
dead-subject = renewd: { $line } can no longer be topped up
dead-intro = The carrier reports this SIM as gone; renewd buys nothing for it.
dead-outro = Replace the SIM/eSIM and update the config.
stuck-subject = renewd: top-up did not show on { $line }
stuck-intro = renewd bought a top-up for this line and the carrier confirmed it, but the carrier still reports the same low figure. Buying again would likely not help, so renewd waits.
stuck-outro = Check the line with the carrier (the top-up may have gone to another product or number). renewd buys again once a reading shows the top-up.
nooffer-subject = renewd: cannot top up { $line }
nooffer-intro = The line needs a top-up, but the carrier would not sell the configured one. Nothing was bought.
nooffer-outro = Check the line's topup_amount / topup_package against what the carrier offers, and the provider account.

## Triggers and what happens after a failure
trigger-balance = balance { $now } < { $limit }
trigger-data = data { $now } < { $limit }
trigger-expired = the plan has expired
note-next-pause = renewd tries again after a pause if the line still needs a top-up
note-may-buy-again = renewd may buy again after a pause if the line still needs it
note-replace-sim = Replace the SIM or eSIM and update the line in the config.
note-fix-carrier = Fix the carrier's settings (credentials, base_url, account), then reload renewd.
note-read-provider = Read what the provider said: usually the provider account needs funds or the line's top-up choice is not offered.
note-nothing-unless = Nothing, unless it keeps failing: then check the provider's status page.
note-nothing-charged = Nothing: nothing was charged.

## The monthly digest
digest-subject = renewd: your lines in { $month }
digest-intro = What renewd did in { $month }: per line, the money spent, the top-ups bought and failed, how much the line uses in a month, and where another package would have cost less.
digest-all = All lines
digest-better = { $id }: a better offer
digest-line = { $spent } spent through { $carrier }; { $topups } top-up(s), { $failed } failed; { $usage }
digest-uses = uses about { $amount } a month
digest-no-use = no use seen
digest-no-readings = not enough readings to tell its use
digest-advice = { $count } x { $label } would cost { $cost } a month instead of { $spent }
digest-nothing = nothing
digest-outro = Recommendations compare the line's recent use with the packages its carrier lists today; change topup_package in the config to follow one.
kind-digest = Digest

## renewd status
status-col-line = LINE
status-col-now = NOW
status-col-trend = TREND
status-col-runs-out = RUNS OUT
status-col-plan-ends = PLAN ENDS
status-col-next-check = NEXT CHECK
status-col-month = THIS MONTH
status-col-attention = NEEDS ATTENTION
status-running = renewd is running (pid { $pid }) since { $since }
status-not-running = renewd is not running: nothing is checked or bought until it starts
status-fleet = { $lines } lines, { $attention } need attention; this month { $spent } of cap { $cap }
status-fleet-checks = { $lines } lines: { $checked } checked, { $failing } failing, { $never } never checked
status-fleet-next = ; next check { $at } { $line }
status-never-read = never read
status-paused = paused
status-check-failing = check failing since { $since }: { $error }
status-unknown-topup = top-up #{ $id } outcome unknown
status-dead = SIM is dead
status-line-cap = line cap reached for this month
status-global-cap = all-lines cap reached for this month
status-queue = { $name }: { $queued } queued, { $sent } sent, { $dead } given up
status-unconfigured-open = OPEN top-up #{ $id } { $state } { $amount } of { $line } (no longer in the config; renewd resolve { $id } --paid|--failed)
status-email-paused = EMAIL PAUSED since { $since }: { $reason }
status-email-fix = fix [email] (`renewd test-email` explains), then `systemctl reload renewd`
status-channel-paused = { $name } PAUSED since { $since }: { $reason }
status-channel-fix = fix it (`renewd test-notify { $name }` explains), then `systemctl reload renewd`
status-empty = empty ({ $confidence })
