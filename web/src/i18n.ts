// Every string the console shows, in Vietnamese (first) and English. Keys are shared: the English
// table is typed against the Vietnamese one so a missing translation fails `tsc`.

export type Lang = 'vi' | 'en';

const vi = {
  'app.name': 'Nguồn',
  'app.tagline': 'Hệ thống thông tin nguồn cơ sở',
  'app.loading': 'Đang tải…',
  'app.skip': 'Chuyển đến nội dung chính',

  'lang.label': 'Ngôn ngữ',
  'lang.vi': 'VI',
  'lang.en': 'EN',
  'lang.vi.long': 'Tiếng Việt',
  'lang.en.long': 'English',

  'login.title': 'Đăng nhập',
  'login.username': 'Tên đăng nhập',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.busy': 'Đang đăng nhập…',
  'login.required': 'Vui lòng nhập tên đăng nhập và mật khẩu.',
  'login.passwordChanged': 'Đã đổi mật khẩu. Vui lòng đăng nhập lại.',
  'login.sessionExpired': 'Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.',

  'err.invalid_credentials': 'Tên đăng nhập hoặc mật khẩu không đúng.',
  'err.account_locked': 'Tài khoản tạm thời bị khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau.',
  'err.account_locked_minutes': 'Tài khoản tạm thời bị khoá do đăng nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút.',
  'err.account_disabled': 'Tài khoản đã bị vô hiệu hoá. Vui lòng liên hệ quản trị viên.',
  'err.too_many_requests': 'Có quá nhiều yêu cầu. Vui lòng chờ một lát rồi thử lại.',
  'err.session_invalid': 'Phiên làm việc không còn hiệu lực. Vui lòng đăng nhập lại.',
  'err.forbidden': 'Bạn không có quyền thực hiện thao tác này.',
  'err.not_found': 'Không tìm thấy.',
  'err.unit_exists': 'Đơn vị này đã tồn tại.',
  'err.username_taken': 'Tên đăng nhập đã được sử dụng.',
  'err.weak_password': 'Mật khẩu quá yếu.',
  'err.invalid_field': 'Dữ liệu không hợp lệ.',
  'err.csrf': 'Phiên làm việc không hợp lệ (CSRF). Vui lòng tải lại trang.',
  'err.network_error': 'Không kết nối được máy chủ.',
  'err.generic': 'Có lỗi xảy ra.',
  'err.server': 'Lỗi từ máy chủ: {message}',
  'err.detail': '{text} ({message})',

  'shell.nav': 'Điều hướng chính',
  'shell.logout': 'Đăng xuất',
  'shell.user': 'Người dùng đang đăng nhập',
  'nav.units': 'Đơn vị hành chính',
  'nav.users': 'Người dùng',
  'nav.password': 'Đổi mật khẩu',

  'level.nation': 'Quốc gia',
  'level.province': 'Cấp tỉnh',
  'level.commune': 'Cấp xã',
  'level.village': 'Cấp thôn',

  'units.title': 'Đơn vị hành chính',
  'units.tree': 'Cây đơn vị',
  'units.treeEmpty': 'Bạn chưa được giao đơn vị nào.',
  'units.expand': 'Mở {name}',
  'units.collapse': 'Thu gọn {name}',
  'units.loadingChildren': 'Đang tải…',
  'units.noChildren': 'Không có đơn vị trực thuộc.',
  'units.contextOnly': 'chỉ để định hướng',
  'units.search': 'Tìm đơn vị',
  'units.searchPlaceholder': 'Ví dụ: thanh hoa, hac thanh…',
  'units.searchButton': 'Tìm',
  'units.searchHint': 'Có thể gõ không dấu.',
  'units.searching': 'Đang tìm…',
  'units.searchEmpty': 'Không tìm thấy đơn vị nào.',
  'units.searchResults': 'Kết quả tìm kiếm ({count})',
  'units.clearSearch': 'Xoá tìm kiếm',
  'units.detail': 'Thông tin đơn vị',
  'units.selectHint': 'Chọn một đơn vị trong cây hoặc trong kết quả tìm kiếm để xem thông tin.',
  'units.code': 'Mã',
  'units.name': 'Tên',
  'units.type': 'Loại',
  'units.level': 'Cấp',
  'units.parent': 'Trực thuộc',
  'units.chain': 'Thuộc',
  'units.canAdmin': 'Bạn là quản trị viên của đơn vị này.',
  'units.villages': 'Thôn, tổ dân phố ({count})',
  'units.children': 'Đơn vị trực thuộc ({count})',
  'units.noVillages': 'Chưa có thôn, tổ dân phố nào.',
  'units.addVillage': 'Thêm thôn, tổ dân phố',
  'units.villageName': 'Tên',
  'units.villageNamePlaceholder': 'Ví dụ: Tổ dân phố Đông Hải',
  'units.villageType': 'Loại',
  'units.addVillageSubmit': 'Thêm',
  'units.villageAdded': 'Đã thêm {name} (mã {code}).',
  'units.nameRequired': 'Vui lòng nhập tên.',
  'units.rename': 'Đổi tên',
  'units.renameSubmit': 'Lưu tên',
  'units.renamed': 'Đã đổi tên thành {name}.',
  'units.notFound': 'Không tìm thấy đơn vị {code} (hoặc bạn không có quyền xem).',
  'units.open': 'Xem',

  'legacy.title': 'Tra mã xã cũ',
  'legacy.code': 'Mã xã cũ (trước 1/7/2025)',
  'legacy.submit': 'Tra cứu',
  'legacy.notFound': 'Không tìm thấy mã xã cũ {code}.',
  'legacy.result': '{old_name} ({old_district}, {old_province})',
  'legacy.now': 'nay thuộc',
  'legacy.required': 'Vui lòng nhập mã xã cũ.',

  'users.title': 'Người dùng',
  'users.loading': 'Đang tải danh sách người dùng…',
  'users.empty': 'Chưa có người dùng nào.',
  'users.username': 'Tên đăng nhập',
  'users.displayName': 'Họ và tên',
  'users.unit': 'Đơn vị',
  'users.roles': 'Vai trò',
  'users.status': 'Trạng thái',
  'users.actions': 'Thao tác',
  'users.active': 'Đang hoạt động',
  'users.disabled': 'Đã vô hiệu hoá',
  'users.locked': 'Tạm khoá',
  'users.mustChange': 'Chưa đổi mật khẩu',
  'users.disable': 'Vô hiệu hoá',
  'users.enable': 'Kích hoạt',
  'users.resetPassword': 'Đặt lại mật khẩu',
  'users.editRoles': 'Sửa vai trò',
  'users.confirmDisable': 'Vô hiệu hoá tài khoản {username}?',
  'users.confirmReset': 'Đặt lại mật khẩu cho {username}? Mật khẩu cũ sẽ không dùng được nữa.',
  'users.newPassword': 'Mật khẩu mới của {username}',
  'users.create': 'Thêm người dùng',
  'users.createTitle': 'Thêm người dùng mới',
  'users.createSubmit': 'Tạo tài khoản',
  'users.cancel': 'Huỷ',
  'users.close': 'Đóng',
  'users.created': 'Đã tạo tài khoản {username}.',
  'users.generatedPassword': 'Mật khẩu của {username}',
  'users.passwordOnce': 'Mật khẩu này chỉ hiển thị một lần. Hãy sao chép và trao cho người dùng; họ sẽ phải đổi mật khẩu khi đăng nhập lần đầu.',
  'users.copy': 'Sao chép',
  'users.copied': 'Đã sao chép',
  'users.grants': 'Phân quyền',
  'users.grantRole': 'Vai trò',
  'users.grantUnit': 'Trên đơn vị',
  'users.addGrant': 'Thêm vai trò',
  'users.removeGrant': 'Bỏ',
  'users.saveRoles': 'Lưu',
  'users.rolesSaved': 'Đã lưu vai trò của {username}.',
  'users.statusSaved': 'Đã cập nhật trạng thái của {username}.',
  'users.editTitle': 'Sửa tài khoản {username}',
  'users.required': 'Vui lòng điền đủ tên đăng nhập, họ tên và đơn vị.',
  'users.grantIncomplete': 'Mỗi dòng phân quyền cần có vai trò và đơn vị.',
  'users.usernameHint': 'Chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.',
  'users.forbidden': 'Bạn không có quyền quản trị người dùng.',

  'picker.placeholder': 'Gõ tên hoặc mã đơn vị…',
  'picker.none': 'Chưa chọn',
  'picker.change': 'Đổi',
  'picker.noResults': 'Không có kết quả.',
  'picker.selected': 'Đã chọn: {name}',

  'password.title': 'Đổi mật khẩu',
  'password.forced': 'Bạn cần đổi mật khẩu trước khi tiếp tục.',
  'password.current': 'Mật khẩu hiện tại',
  'password.new': 'Mật khẩu mới',
  'password.confirm': 'Nhập lại mật khẩu mới',
  'password.hint': 'Ít nhất 10 ký tự; nên dùng một cụm từ khó đoán.',
  'password.submit': 'Đổi mật khẩu',
  'password.mismatch': 'Hai lần nhập mật khẩu mới không khớp.',
  'password.same': 'Mật khẩu mới phải khác mật khẩu hiện tại.',
  'password.required': 'Vui lòng điền đủ các ô.',
  'password.done': 'Đã đổi mật khẩu.',
  'password.wrongCurrent': 'Mật khẩu hiện tại không đúng.',

  'common.busy': 'Đang xử lý…',
  'common.retry': 'Thử lại',
  'common.yes': 'Có',
  'common.no': 'Không',
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  'app.name': 'Nguồn',
  'app.tagline': 'Grassroots source-information system',
  'app.loading': 'Loading…',
  'app.skip': 'Skip to main content',

  'lang.label': 'Language',
  'lang.vi': 'VI',
  'lang.en': 'EN',
  'lang.vi.long': 'Tiếng Việt',
  'lang.en.long': 'English',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.busy': 'Signing in…',
  'login.required': 'Please enter your username and password.',
  'login.passwordChanged': 'Password changed. Please sign in again.',
  'login.sessionExpired': 'Your session has expired. Please sign in again.',

  'err.invalid_credentials': 'Incorrect username or password.',
  'err.account_locked': 'This account is temporarily locked after too many failed sign-ins. Please try again later.',
  'err.account_locked_minutes': 'This account is temporarily locked after too many failed sign-ins. Please try again in {minutes} minutes.',
  'err.account_disabled': 'This account has been disabled. Please contact an administrator.',
  'err.too_many_requests': 'Too many requests. Please wait a moment and try again.',
  'err.session_invalid': 'Your session is no longer valid. Please sign in again.',
  'err.forbidden': 'You are not allowed to do this.',
  'err.not_found': 'Not found.',
  'err.unit_exists': 'This unit already exists.',
  'err.username_taken': 'This username is already taken.',
  'err.weak_password': 'The password is too weak.',
  'err.invalid_field': 'Invalid data.',
  'err.csrf': 'Invalid session (CSRF). Please reload the page.',
  'err.network_error': 'Cannot reach the server.',
  'err.generic': 'Something went wrong.',
  'err.server': 'Server error: {message}',
  'err.detail': '{text} ({message})',

  'shell.nav': 'Main navigation',
  'shell.logout': 'Sign out',
  'shell.user': 'Signed-in user',
  'nav.units': 'Administrative units',
  'nav.users': 'Users',
  'nav.password': 'Change password',

  'level.nation': 'Nation',
  'level.province': 'Province level',
  'level.commune': 'Commune level',
  'level.village': 'Village level',

  'units.title': 'Administrative units',
  'units.tree': 'Unit tree',
  'units.treeEmpty': 'No unit has been assigned to you.',
  'units.expand': 'Expand {name}',
  'units.collapse': 'Collapse {name}',
  'units.loadingChildren': 'Loading…',
  'units.noChildren': 'No subordinate units.',
  'units.contextOnly': 'context only',
  'units.search': 'Search units',
  'units.searchPlaceholder': 'e.g. thanh hoa, hac thanh…',
  'units.searchButton': 'Search',
  'units.searchHint': 'Diacritics are optional.',
  'units.searching': 'Searching…',
  'units.searchEmpty': 'No unit found.',
  'units.searchResults': 'Search results ({count})',
  'units.clearSearch': 'Clear search',
  'units.detail': 'Unit details',
  'units.selectHint': 'Select a unit in the tree or in the search results to see its details.',
  'units.code': 'Code',
  'units.name': 'Name',
  'units.type': 'Type',
  'units.level': 'Level',
  'units.parent': 'Parent',
  'units.chain': 'Within',
  'units.canAdmin': 'You administer this unit.',
  'units.villages': 'Villages and residential groups ({count})',
  'units.children': 'Subordinate units ({count})',
  'units.noVillages': 'No village or residential group yet.',
  'units.addVillage': 'Add a village or residential group',
  'units.villageName': 'Name',
  'units.villageNamePlaceholder': 'e.g. Tổ dân phố Đông Hải',
  'units.villageType': 'Type',
  'units.addVillageSubmit': 'Add',
  'units.villageAdded': 'Added {name} (code {code}).',
  'units.nameRequired': 'Please enter a name.',
  'units.rename': 'Rename',
  'units.renameSubmit': 'Save name',
  'units.renamed': 'Renamed to {name}.',
  'units.notFound': 'Unit {code} not found (or you may not see it).',
  'units.open': 'Open',

  'legacy.title': 'Old commune code lookup',
  'legacy.code': 'Old commune code (before 2025-07-01)',
  'legacy.submit': 'Look up',
  'legacy.notFound': 'Old commune code {code} not found.',
  'legacy.result': '{old_name} ({old_district}, {old_province})',
  'legacy.now': 'now part of',
  'legacy.required': 'Please enter an old commune code.',

  'users.title': 'Users',
  'users.loading': 'Loading users…',
  'users.empty': 'No users yet.',
  'users.username': 'Username',
  'users.displayName': 'Display name',
  'users.unit': 'Unit',
  'users.roles': 'Roles',
  'users.status': 'Status',
  'users.actions': 'Actions',
  'users.active': 'Active',
  'users.disabled': 'Disabled',
  'users.locked': 'Locked',
  'users.mustChange': 'Must change password',
  'users.disable': 'Disable',
  'users.enable': 'Enable',
  'users.resetPassword': 'Reset password',
  'users.editRoles': 'Edit roles',
  'users.confirmDisable': 'Disable the account {username}?',
  'users.confirmReset': 'Reset the password of {username}? The old password will stop working.',
  'users.newPassword': 'New password of {username}',
  'users.create': 'Add user',
  'users.createTitle': 'New user',
  'users.createSubmit': 'Create account',
  'users.cancel': 'Cancel',
  'users.close': 'Close',
  'users.created': 'Account {username} created.',
  'users.generatedPassword': 'Password of {username}',
  'users.passwordOnce': 'This password is shown only once. Copy it and hand it to the user; they must change it at first sign-in.',
  'users.copy': 'Copy',
  'users.copied': 'Copied',
  'users.grants': 'Role grants',
  'users.grantRole': 'Role',
  'users.grantUnit': 'On unit',
  'users.addGrant': 'Add role',
  'users.removeGrant': 'Remove',
  'users.saveRoles': 'Save',
  'users.rolesSaved': 'Roles of {username} saved.',
  'users.statusSaved': 'Status of {username} updated.',
  'users.editTitle': 'Edit account {username}',
  'users.required': 'Please fill in username, display name and unit.',
  'users.grantIncomplete': 'Every role grant needs a role and a unit.',
  'users.usernameHint': 'Lower-case ASCII letters, digits, dot, underscore, hyphen.',
  'users.forbidden': 'You do not administer users.',

  'picker.placeholder': 'Type a unit name or code…',
  'picker.none': 'None selected',
  'picker.change': 'Change',
  'picker.noResults': 'No results.',
  'picker.selected': 'Selected: {name}',

  'password.title': 'Change password',
  'password.forced': 'You must change your password before continuing.',
  'password.current': 'Current password',
  'password.new': 'New password',
  'password.confirm': 'Repeat new password',
  'password.hint': 'At least 10 characters; a hard-to-guess phrase is best.',
  'password.submit': 'Change password',
  'password.mismatch': 'The two new passwords do not match.',
  'password.same': 'The new password must differ from the current one.',
  'password.required': 'Please fill in all fields.',
  'password.done': 'Password changed.',
  'password.wrongCurrent': 'The current password is incorrect.',

  'common.busy': 'Working…',
  'common.retry': 'Retry',
  'common.yes': 'Yes',
  'common.no': 'No',
};

const ROLE_LABELS: Record<Lang, Record<string, string>> = {
  vi: {
    admin: 'Quản trị',
    editor: 'Biên tập viên',
    approver: 'Người duyệt',
    station_operator: 'Vận hành đài',
    feedback_handler: 'Xử lý phản ánh',
    propagandist: 'Tuyên truyền viên',
    viewer: 'Người xem',
  },
  en: {
    admin: 'Administrator',
    editor: 'Editor',
    approver: 'Approver',
    station_operator: 'Station operator',
    feedback_handler: 'Feedback handler',
    propagandist: 'Propagandist',
    viewer: 'Viewer',
  },
};

const TABLES: Record<Lang, Record<MessageKey, string>> = { vi, en };
const STORAGE_KEY = 'nguon.lang';

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'vi' || saved === 'en') return saved;
  } catch {
    /* storage unavailable: default */
  }
  return 'vi';
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  if (next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* not persisted */
  }
  applyDocumentLang();
  for (const fn of listeners) fn();
}

export function onLangChange(fn: () => void): void {
  listeners.add(fn);
}

export function applyDocumentLang(): void {
  document.documentElement.lang = current;
  document.title = `${TABLES[current]['app.name']} — ${TABLES[current]['app.tagline']}`;
}

/** Translates `key`, replacing `{name}` placeholders with `params.name`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const s = TABLES[current][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function hasKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(vi, key);
}

export function roleLabel(role: string): string {
  return ROLE_LABELS[current][role] ?? role;
}

export function levelLabel(level: string): string {
  const key = `level.${level}`;
  return hasKey(key) ? t(key) : level;
}
