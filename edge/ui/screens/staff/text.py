"""Words of the staff screen, sign-out and role gating, in zh-CN and en (registered at import)."""

from __future__ import annotations

from edge.i18n import register

register({
    # app keys
    "ui.key.staff": ("员工", "Staff"),
    "ui.key.sign_out": ("锁屏", "Lock"),
    "ui.key.palette": ("全部功能", "All keys"),
    "ui.manager_only": ("「{what}」只有店长能用：请店长登录（F2）", "{what} is for managers only: a manager signs in (F2)"),
    "ui.palette.placeholder": ("搜索功能（例如：库存、员工）…", "Search screens and keys (e.g. stock, staff)…"),
    "ui.palette.manager": ("店长", "manager"),
    "ui.signed_out": ("已锁屏：下一位请登录", "Locked: the next person signs in"),
    "ui.idle_locked": ("{minutes} 分钟无操作，已自动锁屏", "Locked after {minutes} min without use"),
    # the staff page
    "ui.staff.title": ("员工：{active} 人在职，{locked} 人锁定", "Staff: {active} active, {locked} locked"),
    "ui.staff.col.id": ("工号", "Id"),
    "ui.staff.col.name": ("姓名", "Name"),
    "ui.staff.col.role": ("角色", "Role"),
    "ui.staff.col.state": ("状态", "State"),
    "ui.staff.wrong_pins": ("（已输错 {n} 次）", " ({n} wrong PINs)"),
    "ui.staff.key.add": ("添加", "Add"),
    "ui.staff.key.reset_pin": ("重设密码", "New PIN"),
    "ui.staff.key.unlock": ("解锁", "Unlock"),
    "ui.staff.key.active": ("停用/恢复", "Deactivate"),
    "ui.staff.confirm_deactivate": ("停用 {clerk_id} {name}？停用后不能再登录（记录保留）", "Deactivate {clerk_id} {name}? They can no longer sign in (their records stay)"),
    "ui.staff.confirm_reactivate": ("恢复启用 {clerk_id} {name}？", "Let {clerk_id} {name} sign in again?"),
    # the add / new-PIN dialog
    "ui.staff.form.add_title": ("添加员工", "Add a clerk or manager"),
    "ui.staff.form.reset_title": ("为 {clerk_id} {name} 设新密码", "New PIN for {clerk_id} {name}"),
    "ui.staff.form.id": ("工号", "Clerk id"),
    "ui.staff.form.name": ("姓名", "Name"),
    "ui.staff.form.role": ("角色", "Role"),
    "ui.staff.form.pin": ("密码", "PIN"),
    "ui.staff.form.again": ("再输一次", "PIN again"),
    "ui.staff.form.help": ("回车下一项/保存　Esc 取消　密码 4–8 位数字", "Enter next/save  Esc cancel  PIN: 4–8 digits"),
})
