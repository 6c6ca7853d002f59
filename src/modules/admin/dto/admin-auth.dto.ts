import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class AuthLoginDto {
  @ApiProperty({ example: 'ops@example.com', maxLength: 320 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple', maxLength: 1024, format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}

export class AuthServiceTokenDto {
  @ApiProperty({ example: 'deploy-bot', maxLength: 128 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  service_name: string;

  @ApiProperty({ example: 'gwst_4Jp0...', maxLength: 1024, format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  token: string;
}

export class AuthOidcDto {
  @ApiProperty({
    description: "An ID token from the gateway's identity provider (OIDC_ISSUER), issued to OIDC_CLIENT_ID",
    example: 'eyJhbGciOiJSUzI1NiIs...',
    maxLength: 16384,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(16384)
  id_token: string;
}

export class AuthTokenResponseDto {
  @ApiProperty({
    description: 'Admin JWT; send it as `Authorization: Bearer <access_token>`',
    example: 'eyJhbGciOi...',
  })
  access_token: string;

  @ApiProperty({ enum: ['Bearer'], example: 'Bearer' })
  token_type: 'Bearer';

  @ApiProperty({ description: 'Lifetime in seconds (JWT_EXPIRES_IN)', example: 86400 })
  expires_in: number;
}
