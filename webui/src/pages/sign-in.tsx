import { type FormEvent, useState } from 'react';
import { isApiError } from '../api/client';
import { ErrorNote } from '../components/states';
import { useSignIn } from '../auth/session';

export function SignInPage() {
  const signIn = useSignIn();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // on this form a 401 means the credentials, not an ended session
  const error = isApiError(signIn.error, 'unauthorized')
    ? new Error('The email or password is not right.')
    : signIn.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate({ email: email.trim(), password });
  };
  return (
    <main className="container sign-in">
      <article>
        <h1>Sign in to the LLM Gateway console</h1>
        <form onSubmit={submit} noValidate={false}>
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <ErrorNote error={error} title="Sign-in failed." />
          <button type="submit" aria-busy={signIn.isPending} disabled={signIn.isPending}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
