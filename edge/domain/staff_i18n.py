"""Messages of staff and sign-in (domain errors, `store-edge init` and `store-edge staff`),
both languages. Registered once at import; edge.domain.clerks imports this module."""

from __future__ import annotations

from edge.i18n import register

MESSAGES: dict[str, tuple[str, str]] = {
    # domain errors
    "auth.pin_empty": ("请输入密码", "Enter your PIN"),
    "clerk.bad_id": ("工号「{clerk_id}」不对：1–16 位字母、数字、- 或 _", "Clerk id '{clerk_id}' is not valid: 1–16 letters, digits, - or _"),
    "clerk.bad_name": ("请填写姓名（最多 40 个字）", "Enter a name (at most 40 characters)"),
    "clerk.not_yourself": ("不能停用自己的账号", "You cannot deactivate your own account"),
    # PINs on the command line
    "cli.pin_needed": ("需要密码：请在终端里运行并输入，或设置环境变量 {env}", "A PIN is needed: run this in a terminal and type it, or set {env}"),
    "cli.prompt_clerk_pin": ("{clerk_id} 的密码：", "PIN of {clerk_id}:"),
    "cli.prompt_manager_pin": ("店长 {clerk_id} 的密码：", "PIN of manager {clerk_id}:"),
    # store-edge init
    "init.prompt_hq": ("总部地址（例：https://hq.example.com）：", "HQ address (e.g. https://hq.example.com):"),
    "init.prompt_token": ("本店的总部令牌（由 store-edge hq add-store 打印）：", "This store's HQ token (printed by store-edge hq add-store):"),
    "init.prompt_store_name": ("门店名称 [{default}]：", "Store name [{default}]:"),
    "init.prompt_manager_id": ("第一位店长的工号（例：m01）：", "First manager's clerk id (e.g. m01):"),
    "init.prompt_manager_name": ("第一位店长的姓名：", "First manager's name:"),
    "init.prompt_manager_pin": ("{clerk_id} 的密码（4–8 位数字）：", "PIN for {clerk_id} (4–8 digits):"),
    "init.prompt_pin_again": ("再输一次：", "Once more:"),
    "init.missing": ("缺少 {option}（没有终端可以询问），什么都没有创建", "Missing {option} (no terminal to ask at): nothing was created"),
    "init.exists": ("{path} 已经是门店数据目录，什么都没有改动", "{path} already holds a store: nothing was changed"),
    "init.checking": ("正在向总部 {url} 核对令牌…", "Checking the token with HQ at {url}…"),
    "init.token_refused": ("总部 {url} 不认这个令牌：请核对（令牌只在 store-edge hq add-store 时打印一次，总部可以重新签发）。什么都没有创建",
                           "HQ at {url} refused the token: check it (it is printed once by store-edge hq add-store; HQ can issue a new one). Nothing was created"),
    "init.hq_problem": ("无法向总部 {url} 核对令牌：{message}。什么都没有创建", "Cannot check the token with HQ at {url}: {message}. Nothing was created"),
    "init.wrong_store": ("这个令牌属于门店 {hq_store}，不是 {store_id}：什么都没有创建", "This token belongs to store {hq_store}, not {store_id}: nothing was created"),
    "init.nothing_made": ("什么都没有创建。", "Nothing was created."),
    "init.first_sync": ("首次同步：{summary}", "First sync with HQ: {summary}"),
    "init.done": ("门店 {store_id} {name} 已建好：{path}。店长 {manager_id} 可以登录。打开收银终端：store-edge run --data-dir {path}",
                  "Store {store_id} {name} is ready in {path}. Manager {manager_id} can sign in. Open the terminal: store-edge run --data-dir {path}"),
    # what a manager did (staff screen and `store-edge staff`)
    "staff.added": ("已添加 {clerk_id} {name}", "Added {clerk_id} {name}"),
    "staff.pin_reset": ("{clerk_id} 的密码已重设（并已解锁）", "New PIN set for {clerk_id} (and unlocked)"),
    "staff.unlocked": ("{clerk_id} 已解锁", "{clerk_id} unlocked"),
    "staff.not_locked": ("{clerk_id} 没有被锁定", "{clerk_id} was not locked"),
    "staff.deactivated": ("{clerk_id} 已停用，不能再登录", "{clerk_id} deactivated: can no longer sign in"),
    "staff.reactivated": ("{clerk_id} 已恢复启用", "{clerk_id} can sign in again"),
    "staff.pins_differ": ("两次输入的密码不一样", "The two PINs differ"),
    "staff.state_active": ("在职", "active"),
    "staff.state_locked": ("锁定至 {until}", "locked until {until}"),
    "staff.state_inactive": ("已停用", "deactivated"),
    "role.clerk": ("店员", "Clerk"),
    "role.manager": ("店长", "Manager"),
}

register(MESSAGES)
