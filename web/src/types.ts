// Shapes of the JSON documents exchanged with nguon-server (/api/v1).

export type RoleName =
  | 'admin'
  | 'editor'
  | 'approver'
  | 'station_operator'
  | 'feedback_handler'
  | 'propagandist'
  | 'viewer';

export const ALL_ROLES: readonly RoleName[] = [
  'admin',
  'editor',
  'approver',
  'station_operator',
  'feedback_handler',
  'propagandist',
  'viewer',
];

export type UnitLevel = 'nation' | 'province' | 'commune' | 'village';

export interface RoleGrant {
  role: string;
  unit_code: string;
  unit_name?: string;
}

export interface User {
  id: number;
  username: string;
  display_name: string;
  unit_code: string;
  unit_name?: string;
  disabled: boolean;
  locked: boolean;
  must_change_password: boolean;
  roles: RoleGrant[];
  created_at?: string;
  is_admin?: boolean;
}

export interface UnitRef {
  code: string;
  name: string;
}

export interface Unit {
  code: string;
  name: string;
  type: string;
  level: UnitLevel | string;
  parent_code?: string;
  ancestors?: UnitRef[];
  can_admin?: boolean;
  navigable_only?: boolean;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface ItemList<T> {
  items: T[];
}

export interface LegacyCommune {
  old_code?: string;
  old_name: string;
  old_district: string;
  old_province: string;
  new_code: string;
  new_name: string;
  note: string;
}

export interface LegacyLookup {
  old_code: string;
  items: LegacyCommune[];
}

export interface Meta {
  scope: string;
  scope_name: string;
  version: string;
  roles: string[];
  village_types: string[];
}

export interface CreatedUser {
  user: User;
  password: string;
}

export const VILLAGE_TYPES: readonly string[] = [
  'thôn',
  'bản',
  'ấp',
  'tổ dân phố',
  'khu phố',
  'xóm',
  'làng',
  'buôn',
  'sóc',
  'khóm',
  'plei',
];
