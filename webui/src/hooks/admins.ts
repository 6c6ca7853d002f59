import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, type Query } from '../api/client';
import type {
  AdminAuditEntry,
  AdminUser,
  AdminUserCreate,
  AdminUserUpdate,
  Page,
  ServiceToken,
  ServiceTokenCreate,
  ServiceTokenCreated,
  ServiceTokenUpdate,
} from '../api/types';
import { resourceHooks } from './resource';

export const adminUsers = resourceHooks<AdminUser, AdminUserCreate, AdminUserUpdate>('/admin/users');
export const serviceTokens = resourceHooks<ServiceToken, ServiceTokenCreate, ServiceTokenUpdate, ServiceTokenCreated>(
  '/admin/tokens',
);

export const useAdminAudit = (query: Query) =>
  useQuery({
    queryKey: ['/admin/audit', query],
    queryFn: ({ signal }) => api<Page<AdminAuditEntry>>('/admin/audit', { query, signal }),
    placeholderData: keepPreviousData,
  });
