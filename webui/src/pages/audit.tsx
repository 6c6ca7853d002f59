import { useState } from 'react';
import { Pager } from '../components/pager';
import { Empty, QueryState } from '../components/states';
import { TableWrap } from '../components/table-wrap';
import { useAdminAudit } from '../hooks/admins';
import { usePageTitle } from '../layout';
import { formatDateTime } from '../lib/format';

const LIMIT = 50;
const RESOURCES = ['api_key', 'provider', 'model', 'alias', 'admin_user', 'service_token', 'auth'];

export function AuditPage() {
  usePageTitle('Audit log');
  const [resource, setResource] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useAdminAudit({ resource: resource || undefined, limit: LIMIT, offset });
  return (
    <>
      <h1>Audit log</h1>
      <p className="hint">Every change made through the admin API, newest first. Field names only, never values.</p>
      <div className="filters">
        <label>
          Resource
          <select
            value={resource}
            onChange={(e) => {
              setResource(e.target.value);
              setOffset(0);
            }}
          >
            <option value="">All resources</option>
            {RESOURCES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      </div>
      <QueryState query={list} what="Loading the audit log">
        {(page) =>
          page.data.length === 0 ? (
            <Empty>No changes recorded.</Empty>
          ) : (
            <>
              <TableWrap label="Audit log">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Resource</th>
                      <th scope="col">Fields</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((e) => (
                      <tr key={e.id}>
                        <td>{formatDateTime(e.created_at)}</td>
                        <td>
                          {e.admin_name ?? e.admin_id ?? 'unknown'} <small>({e.admin_type})</small>
                        </td>
                        <td>{e.action}</td>
                        <td>
                          {e.resource}
                          {e.resource_id ? (
                            <>
                              {' '}
                              <small>
                                <code>{e.resource_id}</code>
                              </small>
                            </>
                          ) : null}
                        </td>
                        <td>{e.fields.join(', ') || '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </>
          )
        }
      </QueryState>
    </>
  );
}
