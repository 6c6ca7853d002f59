import { type FormEvent, useState } from 'react';
import { isApiError } from '../api/client';
import { ErrorNote, Loading } from '../components/states';
import { useSignIn, useSignInMethods } from '../auth/session';
import { SSO_LOGIN_URL, ssoErrorMessage } from '../auth/sso';
import { useLocation } from '../router/router';

export function SignInPage() {
  const methods = useSignInMethods();
  const { search } = useLocation();
  const ssoError = ssoErrorMessage(search.get('sso_error'));
  // if the gateway cannot say, offer the password form: the API still decides
  const offer = methods.data ?? { password: true, sso: false };
  return (
    <main className="container sign-in">
      <article>
        <h1>Sign in to the LLM Gateway console</h1>
        {ssoError ? <ErrorNote error={new Error(ssoError)} title="Single sign-on failed." /> : null}
        {methods.isPending ? (
          <Loading what="Loading the sign-in options" />
        ) : (
          <>
            {offer.sso ? (
              <p>
                <a href={SSO_LOGIN_URL} role="button" className="sso-button">
                  Sign in with SSO
                </a>
              </p>
            ) : null}
            {offer.password ? <PasswordForm secondary={offer.sso} /> : null}
          </>
        )}
      </article>
    </main>
  );
}

function PasswordForm({ secondary }: { secondary: boolean }) {
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
    <form onSubmit={submit} noValidate={false}>
      {secondary ? <p>Or with your email and password:</p> : null}
      <label>
        Email
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          autoFocus={!secondary}
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
      <button
        type="submit"
        className={secondary ? 'secondary' : undefined}
        aria-busy={signIn.isPending}
        disabled={signIn.isPending}
      >
        Sign in
      </button>
    </form>
  );
}
